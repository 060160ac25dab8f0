package dev.osprey.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PredictionWriterTest {

    private final JsonSerde<Prediction> serde = Prediction.serde();
    private final PredictionWriter writer = new PredictionWriter();

    private byte[] viaRecord(String id, List<String> names, int[] cls, double[] p, int k, String model,
                             int version, int truth, long ingest, long classify) {
        List<Prediction.Scored> top = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            top.add(new Prediction.Scored(cls[j], names.get(cls[j]), p[j]));
        }
        return serde.toBytes(new Prediction(id, cls[0], names.get(cls[0]), p[0], top, model, version,
                truth >= 0 ? truth : null, ingest, classify, classify - ingest));
    }

    @Test
    void writesTheSameBytesAsTheRecordSerde() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> names = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot", "", "quote \" and \\ back", "ünïcødé ✓", "tab\tnewline\n");
        for (int n = 0; n < 5_000; n++) {
            int k = 1 + random.nextInt(3);
            int[] cls = new int[k];
            double[] p = new double[k];
            for (int j = 0; j < k; j++) {
                cls[j] = random.nextInt(names.size());
                float raw = switch (random.nextInt(4)) {
                    case 0 -> 1f;
                    case 1 -> 0f;
                    case 2 -> random.nextFloat() * 1e-6f;
                    default -> random.nextFloat();
                };
                p[j] = Math.round(raw * 1e5) / 1e5;
            }
            String id = switch (random.nextInt(3)) {
                case 0 -> "img-" + n;
                case 1 -> "images-" + random.nextInt(8) + "@" + random.nextLong(Long.MAX_VALUE);
                default -> "ünï \"q\" " + n;
            };
            String model = random.nextInt(10) == 0 ? "" : "fashion-mnist";
            int truth = random.nextInt(3) == 0 ? -1 : random.nextInt(10);
            long ingest = random.nextInt(10) == 0 ? 0 : 1_700_000_000_000L + random.nextInt(1_000_000);
            long classify = ingest + random.nextInt(5_000);
            int version = random.nextInt(1000);
            byte[] expected = viaRecord(id, names, cls, p, k, model, version, truth, ingest, classify);
            byte[] actual = writer.write(id, names, cls, p, k, model, version, truth, ingest, classify);
            assertThat(new String(actual, StandardCharsets.UTF_8))
                    .as("seed %d, prediction %d", seed, n)
                    .isEqualTo(new String(expected, StandardCharsets.UTF_8));
        }
    }

    @Test
    void readsBackAsThePrediction() {
        byte[] json = writer.write("a", List.of("zero", "one"), new int[] {1, 0}, new double[] {0.75, 0.25}, 2,
                "m", 3, 1, 1000, 1042);
        Prediction p = serde.fromBytes(json);
        assertThat(p.id()).isEqualTo("a");
        assertThat(p.classIndex()).isEqualTo(1);
        assertThat(p.label()).isEqualTo("one");
        assertThat(p.top()).extracting(Prediction.Scored::classIndex).containsExactly(1, 0);
        assertThat(p.truth()).isEqualTo(1);
        assertThat(p.correct()).isTrue();
        assertThat(p.latencyMs()).isEqualTo(42);
    }
}
