package dev.osprey.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.format.FeedbackCorrection;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.format.ShadowPrediction;
import dev.osprey.trainer.shadow.ShadowPair;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.trainer.feedback.ExampleRecorder;
import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.FeedbackListener;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.feedback.LabelledExample;
import dev.osprey.trainer.feedback.StoredExample;
import dev.osprey.trainer.live.Outcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's topology on {@code TopologyTestDriver}: feedback shapes, the correction join, live accuracy, requests. */
class TrainerTopologyTest {

    private static final OspreyTopics TOPICS = OspreyTopics.defaults();
    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final Instant T0 = Instant.parse("2026-11-27T06:00:00Z");

    @TempDir
    Path stateDir;

    private final Map<FeedbackKind, Integer> received = new EnumMap<>(FeedbackKind.class);
    private final List<String> stored = new ArrayList<>();
    private final List<Outcome> outcomes = new ArrayList<>();
    private final List<ShadowPair> pairs = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> images;
    private TestInputTopic<String, byte[]> feedback;
    /** Small, so a test can make it evict. */
    private final FeedbackStore examples = new FeedbackStore(4, new InputSpec(1, 28, 28), 10);
    private TestInputTopic<String, byte[]> predictions;
    private TestInputTopic<String, byte[]> retrain;
    private TestInputTopic<String, byte[]> shadow;

    @BeforeEach
    void start() {
        FeedbackListener listener = new FeedbackListener() {
            @Override
            public void received(FeedbackKind kind) {
                received.merge(kind, 1, Integer::sum);
            }

            @Override
            public void stored(String id, LabelledExample example) {
                stored.add(id);
            }
        };
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "trainer-topology-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(TrainerTopology.build(TOPICS, WINDOW, listener, examples, outcomes::add,
                pairs::add,
                (model, r) -> requests.add(model + ":" + r.reason())), p);
        images = input(TOPICS.images());
        feedback = input(TOPICS.feedback());
        predictions = input(TOPICS.predictions());
        retrain = input(TOPICS.retrain());
        shadow = input(TOPICS.predictionsShadow());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private TestInputTopic<String, byte[]> input(String topic) {
        return driver.createInputTopic(topic, new StringSerializer(), new ByteArraySerializer());
    }

    @Test
    void aLabelledImageIsStoredAsAnExample() {
        feedback.pipeInput(new TestRecord<>("img-1", pixels(7), labelled(3), T0));

        assertThat(stored).containsExactly("img-1");
        LabelledExample e = store().get("img-1");
        assertThat(e.label()).isEqualTo(3);
        assertThat(e.kind()).isEqualTo(FeedbackKind.IMAGE);
        assertThat(e.image()).isEqualTo(new RawImage(28, 28, 1, pixels(7)));
        assertThat(received).containsEntry(FeedbackKind.IMAGE, 1);
    }

    @Test
    void aLargerColourImageIsKeptAtTheModelsInputResolution() {
        RawImage big = new RawImage(56, 56, 3, new byte[56 * 56 * 3]);
        Headers h = new RecordHeaders();
        ImageHeaders.describeRaw(h, big);
        ImageHeaders.put(h, ImageHeaders.LABEL, "2");
        feedback.pipeInput(new TestRecord<>("big", big.pixels(), h, T0));

        RawImage kept = store().get("big").image();
        assertThat(List.of(kept.width(), kept.height(), kept.channels(), kept.pixels().length))
                .containsExactly(28, 28, 1, 28 * 28);
        assertThat(examples.all()).singleElement()
                .satisfies(e -> assertThat(e.example().image()).isEqualTo(kept));
    }

    @Test
    void anEvictedExampleLeavesTheDurableStoreToo() {
        for (int i = 0; i < 6; i++) {
            feedback.pipeInput(new TestRecord<>("img-" + i, pixels(i + 1), labelled(1), T0.plusSeconds(i)));
        }

        assertThat(examples.size()).isEqualTo(4);
        assertThat(examples.evictions()).isEqualTo(2);
        assertThat(ids(store())).containsExactlyInAnyOrder("img-2", "img-3", "img-4", "img-5");
        assertThat(examples.all()).extracting(StoredExample::id)
                .containsExactly("img-2", "img-3", "img-4", "img-5");
    }

    private static List<String> ids(KeyValueStore<String, LabelledExample> kv) {
        List<String> out = new ArrayList<>();
        try (KeyValueIterator<String, LabelledExample> it = kv.all()) {
            it.forEachRemaining(e -> out.add(e.key));
        }
        return out;
    }

    @Test
    void aCorrectionJoinsItsImageWithinTheWindowInEitherOrder() {
        images.pipeInput(new TestRecord<>("a", pixels(1), raw(), T0));
        feedback.pipeInput(new TestRecord<>("a", correction("a", 4), json(), T0.plus(Duration.ofMinutes(9))));
        feedback.pipeInput(new TestRecord<>("b", correction("b", 5), json(), T0.plus(Duration.ofMinutes(9))));
        images.pipeInput(new TestRecord<>("b", pixels(2), raw(), T0.plus(Duration.ofMinutes(10))));

        assertThat(stored).containsExactly("a", "b");
        assertThat(store().get("a").label()).isEqualTo(4);
        assertThat(store().get("a").kind()).isEqualTo(FeedbackKind.CORRECTION);
        assertThat(store().get("b").image().pixels()).isEqualTo(pixels(2));
        assertThat(received).containsEntry(FeedbackKind.CORRECTION, 2);
    }

    @Test
    void aCorrectionOutsideTheWindowDoesNotJoin() {
        images.pipeInput(new TestRecord<>("old", pixels(1), raw(), T0));
        feedback.pipeInput(new TestRecord<>("old", correction("old", 4), json(), T0.plus(Duration.ofMinutes(11))));

        assertThat(stored).isEmpty();
        assertThat(received).containsEntry(FeedbackKind.CORRECTION, 1);
    }

    @Test
    void badFeedbackIsSkippedAndTheRestGoesOn() {
        feedback.pipeInput(new TestRecord<>("no-label", pixels(1), raw(), T0));
        feedback.pipeInput(new TestRecord<>("bad-json", "{not json".getBytes(StandardCharsets.UTF_8), json(), T0));
        feedback.pipeInput(new TestRecord<>("x", correction("other-id", 2), json(), T0));
        feedback.pipeInput(new TestRecord<>("bad-image", new byte[] {1, 2, 3}, labelled(2), T0));
        feedback.pipeInput(new TestRecord<>("good", pixels(9), labelled(1), T0));

        assertThat(stored).containsExactly("good");
    }

    @Test
    void predictionsJoinFeedbackLabelsIntoOutcomesPerVersion() {
        predictions.pipeInput(new TestRecord<>("p1", prediction("p1", 3, 1), null, T0));
        predictions.pipeInput(new TestRecord<>("p2", prediction("p2", 4, 2), null, T0));
        predictions.pipeInput(new TestRecord<>("p3", prediction("p3", 4, 2), null, T0));
        feedback.pipeInput(new TestRecord<>("p1", pixels(1), labelled(3), T0));
        feedback.pipeInput(new TestRecord<>("p2", correction("p2", 5), json(), T0));

        assertThat(outcomes).containsExactly(new Outcome("m", 1, 3, 3), new Outcome("m", 2, 5, 4));
    }

    @Test
    void shadowPredictionsJoinFeedbackLabelsIntoPairsAndGarbageIsSkipped() {
        shadow.pipeInput(new TestRecord<>("s1", ShadowPrediction.serde().toBytes(
                new ShadowPrediction("s1", "m", 1, 3, 2, 6, 0.9, T0.toEpochMilli())), null, T0));
        shadow.pipeInput(new TestRecord<>("s2", "{not json".getBytes(StandardCharsets.UTF_8), null, T0));
        shadow.pipeInput(new TestRecord<>("s3", ShadowPrediction.serde().toBytes(
                new ShadowPrediction("s3", "m", 1, 2, 2, 2, 0.8, T0.toEpochMilli())), null, T0));
        feedback.pipeInput(new TestRecord<>("s1", pixels(1), labelled(6), T0));
        feedback.pipeInput(new TestRecord<>("s2", correction("s2", 5), json(), T0));

        assertThat(pairs).containsExactly(new ShadowPair("m", 1, 2, 6, 3, 6));
    }

    @Test
    void retrainRequestsAreHandedOnAndGarbageIsSkipped() {
        retrain.pipeInput(new TestRecord<>("m", RetrainRequest.serde().toBytes(
                new RetrainRequest("why not", "alice", Map.of())), null, T0));
        retrain.pipeInput(new TestRecord<>("m", "garbage".getBytes(StandardCharsets.UTF_8), null, T0));
        retrain.pipeInput(new TestRecord<>("m", new byte[0], null, T0));

        assertThat(requests).containsExactly("m:why not", "m:null");
    }

    private KeyValueStore<String, LabelledExample> store() {
        return driver.getKeyValueStore(ExampleRecorder.STORE);
    }

    private static byte[] pixels(int seed) {
        byte[] px = new byte[28 * 28];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * seed);
        }
        return px;
    }

    private static Headers raw() {
        Headers h = new RecordHeaders();
        ImageHeaders.describeRaw(h, new RawImage(28, 28, 1, new byte[28 * 28]));
        return h;
    }

    private static Headers labelled(int label) {
        Headers h = raw();
        ImageHeaders.put(h, ImageHeaders.LABEL, Integer.toString(label));
        return h;
    }

    private static Headers json() {
        Headers h = new RecordHeaders();
        ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, FeedbackCorrection.CONTENT_TYPE);
        return h;
    }

    private static byte[] correction(String id, int label) {
        return FeedbackCorrection.serde().toBytes(new FeedbackCorrection(id, label, "test"));
    }

    private static byte[] prediction(String id, int cls, int version) {
        return Prediction.serde().toBytes(new Prediction(id, cls, "c" + cls, 0.9, List.of(), "m", version, null,
                0, 0, 0));
    }
}
