package dev.osprey.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.format.FeedbackCorrection;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.FeedbackListener;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.feedback.LabelledExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz campaign for the trainer's parsers: seeded malformed {@code feedback} and
 * {@code retrain} records (broken, hostile and wrongly typed JSON, bad labels, corrupt and huge
 * images, empty values, tombstones, null and non-UTF-8 keys and headers) mixed with real labelled
 * Fashion-MNIST images and valid requests, through the real topology: no exception escapes, every
 * real labelled image is stored, nothing that is no example is stored, and every valid request is
 * heard. A failure names the seed to replay with {@code -Dosprey.fuzz.seed=N}.
 */
class TrainerFuzzTest {

    private static final long DEFAULT_SEED = 77_001L;
    private static final OspreyTopics TOPICS = OspreyTopics.defaults();
    private static final Instant T0 = Instant.parse("2026-12-02T06:00:00Z");

    @TempDir
    Path stateDir;

    private final Set<String> stored = new HashSet<>();
    private final List<String> requests = new ArrayList<>();
    private Random random;
    private Dataset images;

    @Test
    void malformedFeedbackAndRetrainRecordsAreSkippedAndTheRestIsLearned() throws Exception {
        Path dir = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeThat(Files.exists(dir.resolve("t10k-images-idx3-ubyte.gz")))
                .as("Fashion-MNIST is not installed at %s (Debian package dataset-fashion-mnist)", dir).isTrue();
        images = IdxDirectoryReader.read(dir, Split.TEST);
        String property = System.getProperty("osprey.fuzz.seed");
        long seed = property == null || property.isBlank() ? DEFAULT_SEED : Long.parseLong(property.trim());
        random = new Random(seed);
        try {
            run();
        } catch (Throwable t) {
            throw new AssertionError("trainer fuzz failed with seed " + seed + " (replay: -Dosprey.fuzz.seed="
                    + seed + "): " + t.getMessage(), t);
        }
    }

    private void run() {
        FeedbackListener listener = new FeedbackListener() {
            @Override
            public void received(FeedbackKind kind) {
            }

            @Override
            public void stored(String id, LabelledExample example) {
                stored.add(id);
            }
        };
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "trainer-fuzz-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        Set<String> mustStore = new HashSet<>();
        Set<String> mustNotStore = new HashSet<>();
        int validRequests = 0;
        Map<String, Integer> kinds = new HashMap<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(TrainerTopology.build(TOPICS, Duration.ofMinutes(10),
                listener, new FeedbackStore(FeedbackStore.DEFAULT_CAPACITY, new InputSpec(1, 28, 28), 10),
                outcome -> { }, pair -> { }, (model, r) -> requests.add(model)), p)) {
            TestInputTopic<byte[], byte[]> feedback = driver.createInputTopic(TOPICS.feedback(),
                    new ByteArraySerializer(), new ByteArraySerializer());
            TestInputTopic<byte[], byte[]> retrain = driver.createInputTopic(TOPICS.retrain(),
                    new ByteArraySerializer(), new ByteArraySerializer());
            for (int i = 0; i < 3000; i++) {
                String id = "fb-" + i;
                RecordHeaders h = new RecordHeaders();
                int kind = random.nextInt(16);
                byte[] key = id.getBytes(StandardCharsets.UTF_8);
                byte[] value;
                if (kind < 4) {
                    int index = random.nextInt(images.size());
                    ImageHeaders.put(h, ImageHeaders.LABEL, Integer.toString(images.label(index)));
                    value = kind == 0 ? ImageEncoder.png(images.image(index)) : images.image(index).pixels().clone();
                    mustStore.add(id);
                } else {
                    value = malformedFeedback(kind, id, h);
                    if (kind == 15) {
                        key = random.nextBoolean() ? null : concat(key, new byte[] {(byte) 0xFF, (byte) 0xC0});
                    }
                    if (kind != 8 && kind != 15) {
                        // Kind 8 (an arbitrary raw pixels with a label) and 15 (odd keys) may be examples.
                        mustNotStore.add(id);
                        kinds.put(id, kind);
                    }
                }
                feedback.pipeInput(new TestRecord<>(key, value, h, T0.plusMillis(i)));
            }
            for (int i = 0; i < 1500; i++) {
                byte[] key = random.nextInt(10) == 0 ? null : ("model-" + (i % 3)).getBytes(StandardCharsets.UTF_8);
                int kind = random.nextInt(8);
                byte[] value = kind == 0 ? "{\"reason\":\"fuzz\",\"who\":\"t\",\"options\":{\"epochs\":\"1\"}}"
                        .getBytes(StandardCharsets.UTF_8) : malformedJson(kind);
                if (kind == 0) {
                    validRequests++;
                }
                retrain.pipeInput(new TestRecord<>(key, value, new RecordHeaders(), T0.plusMillis(i)));
            }
        }
        assertThat(stored).as("real labelled images stored").containsAll(mustStore);
        assertThat(stored).as("no malformed feedback stored; kinds stored: %s", stored.stream().map(kinds::get)
                .filter(Objects::nonNull).distinct().toList()).doesNotContainAnyElementsOf(mustNotStore);
        assertThat(requests.size()).as("valid retrain requests heard").isGreaterThanOrEqualTo(validRequests);
    }

    /** A feedback record that must not become an example (except kinds 8 and 15). */
    private byte[] malformedFeedback(int kind, String id, RecordHeaders h) {
        RawImage real = images.image(random.nextInt(images.size()));
        return switch (kind) {
            case 4 -> {
                ImageHeaders.put(h, ImageHeaders.LABEL, pick("-1", "cat", "99999999999", "", "1e3", "0x1"));
                yield real.pixels().clone();
            }
            case 5 -> {
                h.add(ImageHeaders.LABEL, new byte[] {(byte) 0xFF, (byte) 0xFE});
                yield real.pixels().clone();
            }
            case 6 -> {
                ImageHeaders.put(h, ImageHeaders.LABEL, "3");
                byte[] png = ImageEncoder.png(real);
                // Cut within the pixel data (a PNG missing only its trailing checksums still decodes).
                yield Arrays.copyOf(png, 1 + random.nextInt(png.length / 2));
            }
            case 7 -> {
                ImageHeaders.put(h, ImageHeaders.LABEL, "3");
                byte[] png = ImageEncoder.png(real);
                // Declares 100000 x 100000 pixels.
                png[16] = 0;
                png[17] = 1;
                png[18] = (byte) 0x86;
                png[19] = (byte) 0xA0;
                System.arraycopy(png, 16, png, 20, 4);
                yield png;
            }
            case 8 -> {
                ImageHeaders.put(h, ImageHeaders.LABEL, "1");
                yield randomBytes(pick(784, 3072, 100, 1));
            }
            case 9 -> {
                json(h);
                yield malformedJson(1 + random.nextInt(7));
            }
            case 10 -> {
                json(h);
                yield ("{\"id\":\"someone-else\",\"label\":2}").getBytes(StandardCharsets.UTF_8);
            }
            case 11 -> {
                json(h);
                yield ("{\"id\":\"" + id + "\",\"label\":" + pick("-4", "\"x\"", "99999999999", "1.5", "null", "[]")
                        + "}").getBytes(StandardCharsets.UTF_8);
            }
            case 12 -> new byte[0];
            case 13 -> null;
            case 14 -> {
                h.add(ImageHeaders.CONTENT_TYPE, new byte[] {(byte) 0xC3, (byte) 0x28});
                yield randomBytes(1 + random.nextInt(2000));
            }
            default -> {
                ImageHeaders.put(h, ImageHeaders.LABEL, "2");
                yield real.pixels().clone();
            }
        };
    }

    /** JSON that is broken, hostile or of the wrong shape; kind 0 is not used. */
    private byte[] malformedJson(int kind) {
        String s = switch (kind) {
            case 1 -> "{\"reason\":\"trunc";
            case 2 -> "null";
            case 3 -> "[1,2,3]";
            case 4 -> "{\"reason\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
            case 5 -> "{\"reason\":7,\"options\":\"not a map\",\"who\":{}}";
            case 6 -> "{\"reason\":\"" + "x".repeat(50_000) + "\"}";
            default -> null;
        };
        return s != null ? s.getBytes(StandardCharsets.UTF_8) : randomBytes(1 + random.nextInt(500));
    }

    private static void json(RecordHeaders h) {
        ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, FeedbackCorrection.CONTENT_TYPE);
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
