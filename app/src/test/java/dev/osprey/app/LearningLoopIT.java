package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole learning loop on a real broker and the real Fashion-MNIST: a v1 that has never seen two
 * of the classes serves; test images stream through the classifier while a share of them comes back
 * as feedback with its true label; the trainer retrains by itself (every N feedback examples), its
 * candidate passes the gate and is published as v2, the running classifier swaps to v2, and the
 * accuracy of the predictions v2 makes on the images that follow is at least 10 points above v1's.
 */
class LearningLoopIT {

    private static final Logger LOG = LoggerFactory.getLogger(LearningLoopIT.class);
    static final String MODEL = "fashion";
    /** T-shirt/top and Shirt: v1 never sees them. */
    static final int[] MISSING = {0, 6};
    static final int GATE_IMAGES = 1500;
    private static final int VALIDATION_IMAGES = 500;
    private static final int BEFORE_SWAP = 4000;
    private static final int AFTER_SWAP = 1500;
    /** Every other image of the first phase comes back as feedback: exactly one trigger. */
    private static final int RETRAIN_EVERY = BEFORE_SWAP / 2;
    private static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void theTrainerLearnsTwoUnseenClassesFromFeedbackAndTheClassifierSwapsToIt() throws Exception {
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isDirectory(data), "Fashion-MNIST is not installed at " + data
                + " (apt-get install dataset-fashion-mnist)");
        Dataset train = withoutClasses(Datasets.load(data, Split.TRAIN), MISSING);
        Dataset test = Datasets.load(data, Split.TEST);
        // Streamed images come after the gate's and validation's test images: never scored on what trained.
        int firstStreamed = GATE_IMAGES + VALIDATION_IMAGES;

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "loop-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelManifest v1 = publishV1(settings, train, test);
            LOG.info("v1 (without classes {} and {}): test accuracy {}", MISSING[0], MISSING[1],
                    v1.metrics().get(ModelTrainer.METRIC_ACCURACY));

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (Outputs outputs = new Outputs(settings);
                 ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(broker.bootstrapServers(),
                         settings.topics()).withStateDir(dir.resolve("classifier")), registry);
                 TrainerApp trainer = new TrainerApp(trainerConfig(settings), new BaseData(train, test), registry);
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                         new StringSerializer(), new ByteArraySerializer())) {
                classifier.start(Duration.ofMinutes(1));
                trainer.start();

                List<String> before = stream(producer, settings, test, firstStreamed, BEFORE_SWAP, 2, "a-");
                await().atMost(WAIT).until(() -> !outputs.events("published").isEmpty()
                        || !outputs.events("rejected").isEmpty() || !outputs.events("failed").isEmpty());
                assertThat(outputs.events("published")).as("a published v2; events: %s", outputs.events).hasSize(1);
                await().atMost(WAIT).until(() -> classifier.serving().map(ModelManifest::version).orElse(0) == 2);

                List<String> after = stream(producer, settings, test, firstStreamed + BEFORE_SWAP, AFTER_SWAP, 5,
                        "b-");
                await().atMost(WAIT).until(() -> outputs.predictions.keySet().containsAll(after)
                        && outputs.predictions.keySet().containsAll(before));

                TrainingEvent started = outputs.events("started").get(0);
                assertThat(started.trigger()).isEqualTo("feedback-count");
                TrainingEvent accepted = outputs.events("accepted").get(0);
                assertThat(accepted.candidateScore()).isGreaterThan(accepted.servingScore());
                assertThat(outputs.events("published").get(0).version()).isEqualTo(2);

                double v1Accuracy = accuracy(outputs, before, 1);
                double v2Accuracy = accuracy(outputs, after, 2);
                double v1Live = trainer.liveAccuracy().accuracy(MODEL, 1).orElse(Double.NaN);
                double v2Live = trainer.liveAccuracy().accuracy(MODEL, 2).orElse(Double.NaN);
                LOG.info(String.format(Locale.ROOT, "learning loop: gate v1 %.4f -> candidate %.4f; predictions "
                                + "by v1 %.4f (%d images) vs by v2 after the swap %.4f (%d images); trainer's live "
                                + "accuracy v1 %.4f, v2 %.4f", accepted.servingScore(), accepted.candidateScore(),
                        v1Accuracy, before.size(), v2Accuracy, after.size(), v1Live, v2Live));
                assertThat(v2Accuracy - v1Accuracy).as("v2 %.4f vs v1 %.4f", v2Accuracy, v1Accuracy)
                        .isGreaterThanOrEqualTo(0.10);
                assertThat(v2Live).isGreaterThan(v1Live);
            }
        }
    }

    /** A quick MLP on the train split without the missing classes, published as v1. */
    static ModelManifest publishV1(KafkaSettings settings, Dataset train, Dataset test) {
        Dataset subset = train.head(10_000);
        TrainingSpec spec = TrainingSpec.defaults(Architecture.MLP).withModelName(MODEL).withEpochs(2)
                .withMaxWallTime(Duration.ofMinutes(2));
        TrainingResult result = new ModelTrainer().train(spec, subset, test.head(GATE_IMAGES), TrainingListener.none());
        try (ModelPublisher publisher = new ModelPublisher(settings, "loop-seed")) {
            return publisher.publish(result.artifact(), MODEL, 0);
        }
    }

    /** Retrains by itself after every {@link #RETRAIN_EVERY} feedback examples; no other trigger. */
    private TrainerConfig trainerConfig(KafkaSettings settings) {
        return TrainerConfig.defaults(settings.bootstrapServers(), settings.topics(), MODEL)
                .withTriggers(new TriggerSettings(RETRAIN_EVERY, 0, 200, Duration.ofMillis(500), Duration.ZERO))
                .withGate(GateSettings.defaults().withTestImages(GATE_IMAGES, VALIDATION_IMAGES))
                .withRun(RunSettings.defaults().withEpochs(6).withBaseImages(6000)
                        .withMaxWallTime(Duration.ofSeconds(90)))
                .withHttp(HttpSettings.off())
                .withStateDir(dir.resolve("trainer"));
    }

    /**
     * Sends {@code count} test images from {@code from} to {@code images}, each labelled (so
     * predictions carry the truth), and every {@code feedbackEvery}-th also to {@code feedback}.
     */
    static List<String> stream(KafkaProducer<String, byte[]> producer, KafkaSettings settings, Dataset test,
                                       int from, int count, int feedbackEvery, String idPrefix) throws Exception {
        List<String> ids = new CopyOnWriteArrayList<>();
        for (int i = from; i < from + count; i++) {
            String id = idPrefix + i;
            byte[] pixels = test.image(i).pixels();
            Headers headers = new RecordHeaders();
            ImageHeaders.describeRaw(headers, test.image(i));
            ImageHeaders.put(headers, ImageHeaders.LABEL, Integer.toString(test.label(i)));
            producer.send(new ProducerRecord<>(settings.topics().images(), null, id, pixels, headers));
            if ((i - from) % feedbackEvery == 0) {
                producer.send(new ProducerRecord<>(settings.topics().feedback(), null, id, pixels, headers));
            }
            ids.add(id);
        }
        producer.flush();
        return ids;
    }

    private static double accuracy(Outputs outputs, List<String> ids, int version) {
        List<Prediction> byVersion = ids.stream().map(outputs.predictions::get)
                .filter(p -> p.version() == version).toList();
        assertThat(byVersion).as("predictions by v%d", version).hasSizeGreaterThan(ids.size() / 2);
        return byVersion.stream().filter(Prediction::correct).count() / (double) byVersion.size();
    }

    static Dataset withoutClasses(Dataset d, int... classes) {
        int[] keep = IntStream.range(0, d.size())
                .filter(i -> IntStream.of(classes).noneMatch(c -> c == d.label(i))).toArray();
        return d.select(keep);
    }

    /** Reads {@code predictions} and {@code training-events} on a thread of its own. */
    static final class Outputs implements AutoCloseable {

        final Map<String, Prediction> predictions = new ConcurrentHashMap<>();
        final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private final String predictionsTopic;
        private volatile boolean running = true;

        Outputs(KafkaSettings settings) {
            Properties p = settings.consumerProperties("loop-" + UUID.randomUUID());
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            predictionsTopic = settings.topics().predictions();
            consumer.subscribe(List.of(predictionsTopic, settings.topics().trainingEvents()));
            thread = new Thread(this::run, "loop-outputs");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (r.topic().equals(predictionsTopic)) {
                            predictions.put(r.key(), Prediction.serde().fromBytes(r.value()));
                        } else {
                            events.add(TrainingEvent.serde().fromBytes(r.value()));
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }

        List<TrainingEvent> events(String type) {
            return events.stream().filter(e -> type.equals(e.type())).toList();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
        }
    }
}
