package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.osprey.classifier.FuzzRecords.Fuzz;
import dev.osprey.classifier.FuzzRecords.Kind;
import dev.osprey.classifier.batch.BatchSettings;
import dev.osprey.classifier.batch.InputReplayer;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.classifier.deadletter.DeadLetterRecord;
import dev.osprey.classifier.model.DjlBatchClassifier;
import dev.osprey.classifier.model.ModelHolder;
import dev.osprey.classifier.model.ServingModel;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz campaign on {@link TopologyTestDriver}: 10,000 generated records of every malformed kind
 * {@link FuzzRecords} knows, half of them real Fashion-MNIST images, through the real topology and a
 * real (randomly initialised) MLP: each record gives exactly one prediction or exactly one dead
 * letter with a known reason, and no exception escapes. Seeded; a failure names the seed to replay
 * with {@code -Dosprey.fuzz.seed=N}.
 */
class FuzzTopologyTest {

    private static final long DEFAULT_SEED = 20_261_202L;
    private static final int RECORDS = 10_000;
    private static final int LIMIT_RECORDS = 4;
    private static final OspreyTopics TOPICS = OspreyTopics.defaults();
    private static final Set<String> REASONS = Arrays.stream(RejectReason.values()).map(RejectReason::id)
            .collect(Collectors.toSet());

    /** Kinds no decoder may accept, whatever the random details. */
    private static final Set<Kind> ALWAYS_REFUSED = Set.of(Kind.EMPTY, Kind.TOMBSTONE, Kind.HUGE_KEY,
            Kind.ABOVE_LIMIT, Kind.HUGE_DECLARED, Kind.ZERO_DECLARED, Kind.HEADER_NEGATIVE, Kind.HEADER_OVERFLOW,
            Kind.RAW_SIZE_MISMATCH, Kind.WRONG_MAGIC);

    private static final InputReplayer NO_REPLAY = NoReplay.INSTANCE;

    @TempDir
    Path stateDir;

    /** Loads the Fashion-MNIST test split, or skips the test where it is not installed. */
    static Dataset fashionMnist() throws Exception {
        Path dir = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeThat(Files.exists(dir.resolve("t10k-images-idx3-ubyte.gz")))
                .as("Fashion-MNIST is not installed at %s (Debian package dataset-fashion-mnist)", dir).isTrue();
        return IdxDirectoryReader.read(dir, Split.TEST);
    }

    @Test
    void everyMalformedOrRealRecordGivesExactlyOnePredictionOrOneDeadLetter() throws Exception {
        Dataset images = fashionMnist();
        long seed = FuzzRecords.seed(DEFAULT_SEED);
        try {
            run(new FuzzRecords(seed, images).generate(RECORDS, LIMIT_RECORDS));
        } catch (Throwable t) {
            throw new AssertionError("fuzz campaign failed with seed " + seed + " (replay: -D"
                    + FuzzRecords.SEED_PROPERTY + "=" + seed + "): " + t.getMessage(), t);
        }
    }

    private void run(List<Fuzz> records) throws Exception {
        ModelArtifact artifact = TestModels.untrained(Architecture.MLP, "fashion", 1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ClassifierMetrics metrics = new ClassifierMetrics(registry);
        Map<String, Integer> predicted = new HashMap<>();
        Map<Long, TestRecord<String, byte[]>> dead = new HashMap<>();
        try (ModelHolder holder = new ModelHolder()) {
            holder.swap(new ServingModel(artifact.manifest(), artifact.newModel()));
            BatchSettings settings = new BatchSettings(64, Duration.ofMillis(20));
            try (TopologyTestDriver driver = new TopologyTestDriver(ClassifierTopology.build(TOPICS, settings,
                    new DjlBatchClassifier(holder), NO_REPLAY, metrics),
                    ClassifierApp.streamsConfig(ClassifierConfig.defaults("dummy:9092", TOPICS), stateDir, metrics))) {
                TestInputTopic<byte[], byte[]> in = driver.createInputTopic(TOPICS.images(), new ByteArraySerializer(),
                        new ByteArraySerializer());
                TestOutputTopic<String, byte[]> predictions = driver.createOutputTopic(TOPICS.predictions(),
                        Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
                TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(TOPICS.deadLetters(),
                        Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
                for (int i = 0; i < records.size(); i++) {
                    Fuzz f = records.get(i);
                    in.pipeInput(new TestRecord<>(f.key(), f.value(), f.headers(), Instant.ofEpochMilli(1000 + i)));
                    if (i % 256 == 0) {
                        drain(predictions, deadLetters, predicted, dead);
                    }
                }
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                drain(predictions, deadLetters, predicted, dead);
            }
        }
        check(records, predicted, dead);
        double deadCount = registry.get("osprey.classifier.dead.letters").counters().stream()
                .mapToDouble(c -> c.count()).sum();
        assertThat(deadCount).as("dead letters counted").isEqualTo(dead.size());
    }

    private static void drain(TestOutputTopic<String, byte[]> predictions, TestOutputTopic<String, byte[]> deadLetters,
                              Map<String, Integer> predicted, Map<Long, TestRecord<String, byte[]>> dead) {
        for (TestRecord<String, byte[]> p : predictions.readRecordsToList()) {
            Prediction prediction = Prediction.serde().fromBytes(p.value());
            assertThat(prediction.id()).isEqualTo(p.key());
            assertThat(prediction.confidence()).isBetween(0.0, 1.0);
            predicted.merge(p.key(), 1, Integer::sum);
        }
        for (TestRecord<String, byte[]> d : deadLetters.readRecordsToList()) {
            long offset = Long.parseLong(header(d, DeadLetterHeaders.SOURCE_OFFSET));
            TestRecord<String, byte[]> before = dead.put(offset, d);
            assertThat(before).as("a second dead letter for offset %s", offset).isNull();
        }
    }

    private static void check(List<Fuzz> records, Map<String, Integer> predicted,
                              Map<Long, TestRecord<String, byte[]>> dead) {
        Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
        for (int offset = 0; offset < records.size(); offset++) {
            Fuzz f = records.get(offset);
            kinds.merge(f.kind(), 1, Integer::sum);
            String id = f.key() == null ? TOPICS.images() + "-0@" + offset
                    : new String(f.key(), StandardCharsets.UTF_8);
            int predictions = predicted.getOrDefault(id, 0);
            TestRecord<String, byte[]> d = dead.get((long) offset);
            assertThat(predictions + (d == null ? 0 : 1))
                    .as("outputs of record %d (%s): %d prediction(s), dead letter %s", offset, f.kind(), predictions,
                            d == null ? "none" : header(d, DeadLetterHeaders.ERROR))
                    .isEqualTo(1);
            if (f.kind().valid) {
                assertThat(predictions).as("record %d (%s) is a real image", offset, f.kind()).isEqualTo(1);
            }
            if (ALWAYS_REFUSED.contains(f.kind())) {
                assertThat(d).as("dead letter of record %d (%s)", offset, f.kind()).isNotNull();
            }
            if (d != null) {
                checkDeadLetter(offset, f, id, d);
            }
        }
        assertThat(predicted.values().stream().mapToInt(Integer::intValue).sum() + dead.size())
                .as("outputs in all").isEqualTo(records.size());
        assertThat(kinds.keySet()).as("kinds generated").hasSizeGreaterThanOrEqualTo(15);
    }

    private static void checkDeadLetter(int offset, Fuzz f, String id, TestRecord<String, byte[]> d) {
        String error = header(d, DeadLetterHeaders.ERROR);
        String what = "dead letter of record " + offset + " (" + f.kind() + ")";
        assertThat(REASONS).as(what).contains(error);
        assertThat(header(d, DeadLetterHeaders.REASON)).as(what).isNotBlank();
        assertThat(header(d, DeadLetterHeaders.SOURCE_TOPIC)).as(what).isEqualTo(TOPICS.images());
        if (f.value() != null) {
            assertThat(d.value()).as(what).hasSizeLessThanOrEqualTo(DeadLetterRecord.MAX_VALUE_BYTES);
        }
        switch (f.kind()) {
            case EMPTY, TOMBSTONE -> assertThat(error).as(what).isEqualTo(RejectReason.EMPTY.id());
            case ABOVE_LIMIT -> {
                assertThat(error).as(what).isEqualTo(RejectReason.TOO_LARGE.id());
                assertThat(header(d, DeadLetterHeaders.TRUNCATED)).as(what).isEqualTo("value");
                assertThat(header(d, DeadLetterHeaders.ORIGINAL_SIZE)).as(what)
                        .isEqualTo(Integer.toString(f.value().length));
            }
            case HUGE_KEY -> {
                assertThat(error).as(what).isEqualTo(RejectReason.BAD_KEY.id());
                assertThat(d.key().getBytes(StandardCharsets.UTF_8)).as(what)
                        .hasSizeLessThanOrEqualTo(DeadLetterRecord.MAX_KEY_BYTES);
            }
            case HUGE_DECLARED -> assertThat(error).as(what).isIn(RejectReason.TOO_LARGE.id(),
                    RejectReason.BAD_DIMENSIONS.id());
            case HEADER_NOT_NUMERIC, HEADER_NEGATIVE, HEADER_OVERFLOW -> assertThat(error).as(what)
                    .isIn(RejectReason.BAD_HEADERS.id(), RejectReason.UNSUPPORTED_CHANNELS.id(),
                            RejectReason.BAD_DIMENSIONS.id());
            default -> assertThat(d.key()).as(what).isEqualTo(id);
        }
    }

    private static String header(TestRecord<String, byte[]> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
