package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.classifier.batch.BatchClassifier;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.batch.BatchSettings;
import dev.osprey.classifier.batch.BatchingProcessor;
import dev.osprey.classifier.batch.InferenceException;
import dev.osprey.classifier.batch.InputReplayer;
import dev.osprey.classifier.batch.Outcome;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.classifier.deadletter.DeadLetterRecord;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batching topology on {@link TopologyTestDriver}, with a classifier that records its batches. */
class ClassifierTopologyTest {

    private static final OspreyTopics TOPICS = OspreyTopics.defaults();
    private static final ModelManifest MODEL = new ModelManifest("digits", 7, "mlp", new InputSpec(1, 28, 28),
            Normalization.unit(1), List.of("zero", "one", "two"), Map.of(), Map.of(), 0, "00", Instant.EPOCH);

    @TempDir
    Path stateDir;

    private final List<Integer> batches = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> images;
    private TestOutputTopic<String, byte[]> predictions;
    private TestOutputTopic<String, byte[]> deadLetters;

    /**
     * "Classifies" an image as the value of its first pixel, modulo 3; pixel 255 cannot be fed to the
     * model, and a batch holding pixel 254 makes the forward pass throw.
     */
    private final BatchClassifier classifier = imgs -> {
        batches.add(imgs.size());
        if (imgs.stream().anyMatch(img -> img.get(0, 0, 0) == 254)) {
            throw new InferenceException("boom", new IllegalStateException("poisoned tensor"));
        }
        List<Outcome> out = new ArrayList<>();
        for (RawImage img : imgs) {
            int v = img.get(0, 0, 0);
            out.add(v == 255 ? new Outcome.Rejected(RejectReason.BAD_DIMENSIONS, "cannot resize")
                    : new Outcome.Classified(new int[] {v % 3, (v + 1) % 3}, new float[] {0.9f, 0.1f}));
        }
        return new BatchResult(MODEL, out);
    };

    private static final InputReplayer NO_REPLAY = NoReplay.INSTANCE;

    @BeforeEach
    void start() {
        start(new BatchSettings(4, Duration.ofMillis(50)));
    }

    private void start(BatchSettings settings) {
        if (driver != null) {
            driver.close();
        }
        ClassifierMetrics metrics = new ClassifierMetrics(registry);
        ClassifierConfig config = ClassifierConfig.defaults("dummy:9092", TOPICS);
        Properties props = ClassifierApp.streamsConfig(config, stateDir, metrics);
        driver = new TopologyTestDriver(ClassifierTopology.build(TOPICS, settings, classifier, NO_REPLAY, metrics),
                props);
        images = driver.createInputTopic(TOPICS.images(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        predictions = driver.createOutputTopic(TOPICS.predictions(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
        deadLetters = driver.createOutputTopic(TOPICS.deadLetters(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static byte[] pixels(int first) {
        byte[] px = new byte[28 * 28];
        px[0] = (byte) first;
        return px;
    }

    private void send(String id, byte[] value, int label) {
        RecordHeaders headers = new RecordHeaders();
        if (label >= 0) {
            headers.add(ImageHeaders.LABEL, Integer.toString(label).getBytes(StandardCharsets.UTF_8));
        }
        images.pipeInput(new TestRecord<>(id, value, headers, Instant.ofEpochMilli(1000)));
    }

    @Test
    void fullBatchRunsAtOnceInOneForwardPass() {
        for (int i = 0; i < 8; i++) {
            send("img-" + i, pixels(i), i % 3);
        }
        assertThat(batches).containsExactly(4, 4);
        List<TestRecord<String, byte[]>> out = predictions.readRecordsToList();
        assertThat(out).extracting(TestRecord::key)
                .containsExactly("img-0", "img-1", "img-2", "img-3", "img-4", "img-5", "img-6", "img-7");
        Prediction p = Prediction.serde().fromBytes(out.get(5).value());
        assertThat(p.classIndex()).isEqualTo(2);
        assertThat(p.label()).isEqualTo("two");
        assertThat(p.model()).isEqualTo("digits");
        assertThat(p.version()).isEqualTo(7);
        assertThat(p.truth()).isEqualTo(2);
        assertThat(p.correct()).isTrue();
        assertThat(p.top()).hasSize(2);
        assertThat(p.ingestTs()).isEqualTo(1000);
    }

    @Test
    void partialBatchWaitsForMaxDelayThenRuns() {
        send("a", pixels(1), -1);
        send("b", pixels(2), -1);
        driver.advanceWallClockTime(Duration.ofMillis(10));
        assertThat(predictions.isEmpty()).isTrue();
        driver.advanceWallClockTime(Duration.ofMillis(60));
        assertThat(batches).containsExactly(2);
        assertThat(predictions.readKeyValuesToList()).hasSize(2);
    }

    @Test
    void badRecordsBecomeDeadLettersAndTheBatchGoesOn() {
        send("good-1", pixels(1), -1);
        send("empty", new byte[0], -1);
        send("junk", "not an image at all".getBytes(StandardCharsets.UTF_8), -1);
        send("truncated-png", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0}, -1);
        send("good-2", pixels(2), -1);
        send("unresizable", pixels(255), -1);
        send("good-3", pixels(0), -1);
        assertThat(batches).containsExactly(4);
        assertThat(predictions.readKeyValuesToList()).extracting(kv -> kv.key)
                .containsExactly("good-1", "good-2", "good-3");
        List<TestRecord<String, byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).extracting(TestRecord::key).containsExactly("empty", "junk", "truncated-png", "unresizable");
        assertThat(header(dead.get(0), DeadLetterHeaders.ERROR)).isEqualTo(RejectReason.EMPTY.id());
        assertThat(header(dead.get(3), DeadLetterHeaders.ERROR)).isEqualTo(RejectReason.BAD_DIMENSIONS.id());
        assertThat(header(dead.get(1), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(TOPICS.images());
        assertThat(header(dead.get(1), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("2");
        assertThat(header(dead.get(1), DeadLetterHeaders.REASON)).isNotBlank();
        assertThat(dead.get(1).value()).asString(StandardCharsets.UTF_8).isEqualTo("not an image at all");
        assertThat(dead.get(3).value()).isEqualTo(pixels(255));
        assertThat(registry.get("osprey.classifier.dead.letters").tag("reason", RejectReason.EMPTY.id())
                .counter().count()).isEqualTo(1.0);
    }

    @Test
    void pointerAdvancesOnlyWithFlushes() {
        send("a", pixels(1), -1);
        assertThat(pointer()).isEqualTo(0L);
        send("b", pixels(1), -1);
        send("c", pixels(1), -1);
        send("d", pixels(1), -1);
        assertThat(pointer()).isEqualTo(4L);
        send("e", pixels(1), -1);
        assertThat(pointer()).isEqualTo(4L);
    }

    @Test
    void recordsWithoutKeyGetAnIdFromTheirPosition() {
        images.pipeInput(new TestRecord<>(null, pixels(1), new RecordHeaders(), Instant.ofEpochMilli(5)));
        driver.advanceWallClockTime(Duration.ofMillis(100));
        assertThat(predictions.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("images-0@0");
    }

    private Long pointer() {
        return driver.<Integer, Long>getKeyValueStore(BatchingProcessor.POINTER_STORE).get(0);
    }

    private static String header(TestRecord<String, byte[]> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    @Test
    void aForwardPassThatThrowsIsSplitUntilTheFailingImageIsFound() {
        start(new BatchSettings(8, Duration.ofMillis(50)));
        for (int i = 0; i < 8; i++) {
            send("img-" + i, pixels(i == 5 ? 254 : i), -1);
        }
        assertThat(predictions.readKeyValuesToList()).extracting(kv -> kv.key)
                .containsExactly("img-0", "img-1", "img-2", "img-3", "img-4", "img-6", "img-7");
        List<TestRecord<String, byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).extracting(TestRecord::key).containsExactly("img-5");
        assertThat(header(dead.get(0), DeadLetterHeaders.ERROR)).isEqualTo(RejectReason.INFERENCE_FAILED.id());
        assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).contains("poisoned tensor");
        assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("5");
        // 8 fails; 0-3 pass, 4-7 fail; 4-5 fail: 4 passes, 5 fails alone; then 6-7 pass.
        assertThat(batches).containsExactly(8, 4, 4, 2, 1, 1, 2);
        assertThat(pointer()).isEqualTo(8L);
    }

    @Test
    void aDeadLetterTooLargeForTheTopicIsCutAndSaysSo() {
        byte[] huge = new byte[OspreyTopics.IMAGE_MAX_BYTES + 60 * 1024];
        huge[0] = 'x';
        send("huge", huge, -1);
        TestRecord<String, byte[]> dead = deadLetters.readRecord();
        assertThat(dead.key()).isEqualTo("huge");
        assertThat(header(dead, DeadLetterHeaders.ERROR)).isEqualTo(RejectReason.TOO_LARGE.id());
        assertThat(dead.value()).hasSize(DeadLetterRecord.MAX_VALUE_BYTES);
        assertThat(dead.value()[0]).isEqualTo((byte) 'x');
        assertThat(header(dead, DeadLetterHeaders.TRUNCATED)).isEqualTo("value");
        assertThat(header(dead, DeadLetterHeaders.ORIGINAL_SIZE)).isEqualTo(Integer.toString(huge.length));
    }

    @Test
    void aKeyTooLongToBeAnIdIsADeadLetterWithItsKeyCut() {
        String key = "k".repeat(OspreyTopics.IMAGE_ID_MAX_BYTES + 1);
        send(key, pixels(1), -1);
        TestRecord<String, byte[]> dead = deadLetters.readRecord();
        assertThat(header(dead, DeadLetterHeaders.ERROR)).isEqualTo(RejectReason.BAD_KEY.id());
        assertThat(dead.key()).hasSize(DeadLetterRecord.MAX_KEY_BYTES);
        assertThat(header(dead, DeadLetterHeaders.TRUNCATED)).isEqualTo("key");
        assertThat(predictions.isEmpty()).isTrue();
    }

    @Test
    void aBatchRunsEarlyWhenItsBytesReachTheBound() {
        // Three raw 28x28 images weigh a little over 3 x 784 bytes: the bound is reached by the third.
        start(new BatchSettings(100, Duration.ofSeconds(10)).withMaxBatchBytes(3 * 784));
        for (int i = 0; i < 7; i++) {
            send("img-" + i, pixels(i), -1);
        }
        assertThat(batches).containsExactly(3, 3);
        assertThat(predictions.readKeyValuesToList()).hasSize(6);
    }

    @Test
    void anEncodedImageOverThePixelBudgetIsRefusedFromItsHeader() {
        start(new BatchSettings(4, Duration.ofMillis(50)).withMaxPixels(100 * 100));
        send("big", ImageEncoder.png(new RawImage(101, 100, 1, new byte[101 * 100])), -1);
        send("fits", ImageEncoder.png(new RawImage(100, 100, 1, new byte[100 * 100])), -1);
        driver.advanceWallClockTime(Duration.ofMillis(100));
        TestRecord<String, byte[]> dead = deadLetters.readRecord();
        assertThat(dead.key()).isEqualTo("big");
        assertThat(header(dead, DeadLetterHeaders.ERROR)).isEqualTo(RejectReason.TOO_LARGE.id());
        assertThat(predictions.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("fits");
    }
}
