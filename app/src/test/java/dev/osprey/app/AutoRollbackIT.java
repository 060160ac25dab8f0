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
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.live.VersionStats;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.rollback.AutoRollback;
import dev.osprey.trainer.rollback.RollbackSettings;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingSpec;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
 * Automatic rollback on a real broker, a real classifier and the real Fashion-MNIST: a decent v1
 * serves and gets feedback; a v2 trained on shuffled labels is force-published (as a careless
 * {@code osprey train --publish} would) and the classifier swaps to it; feedback keeps flowing, and
 * with no human step the trainer republishes v1's weights as v3 within a bounded number of v2's
 * labelled images, says so in a {@code rolled-back} event with the evidence, and the predictions
 * that follow carry v3 and are as good as v1's.
 */
class AutoRollbackIT {

    private static final Logger LOG = LoggerFactory.getLogger(AutoRollbackIT.class);
    private static final String MODEL = "fashion";
    private static final int MIN_IMAGES = 200;
    /** The judge looks every 20 outcomes; a 10-class model on shuffled labels is caught at the first look. */
    private static final int MAX_BAD_OUTCOMES = 400;
    private static final Duration WAIT = Duration.ofMinutes(3);
    /** Test images before this validate the training; the streamed ones come after. */
    private static final int FIRST = 500;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aVersionThatDoesWorseLiveIsRolledBackByItself() throws Exception {
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isDirectory(data), "Fashion-MNIST is not installed at " + data
                + " (apt-get install dataset-fashion-mnist)");
        Dataset train = Datasets.load(data, Split.TRAIN);
        Dataset test = Datasets.load(data, Split.TEST);

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "rb-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelArtifact good = train(train.head(10_000), test, 2);
            ModelArtifact bad = train(shuffledLabels(train.head(3_000), new Random(7)), test, 1);

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (ModelPublisher publisher = new ModelPublisher(settings, "rollback-it");
                 Outputs outputs = new Outputs(settings)) {
                publisher.publish(good, MODEL, 0);
                try (ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(
                        broker.bootstrapServers(), settings.topics()).withStateDir(dir.resolve("classifier")),
                        registry);
                     TrainerApp trainer = new TrainerApp(trainerConfig(settings), new BaseData(train, test),
                             registry);
                     KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                             new StringSerializer(), new ByteArraySerializer())) {
                    classifier.start(Duration.ofMinutes(1));
                    trainer.start();

                    // v1 serves and earns its live record.
                    stream(producer, settings, test, FIRST, 400, true, "a-");
                    await().atMost(WAIT).until(() -> outcomes(trainer, 1) >= 300);

                    // A bad v2 is forced on it.
                    publisher.publish(bad, MODEL, 1);
                    await().atMost(WAIT).until(() -> classifier.serving().map(ModelManifest::version).orElse(0) == 2);

                    // Feedback keeps coming, a batch at a time, until the trainer acts (or too much has flowed).
                    int next = FIRST + 400;
                    while (outputs.events(AutoRollback.ROLLED_BACK).isEmpty()
                            && outputs.events(AutoRollback.FAILED).isEmpty() && next < FIRST + 400 + 2 * MAX_BAD_OUTCOMES) {
                        stream(producer, settings, test, next, 100, true, "b-");
                        next += 100;
                        int sent = next;
                        await().atMost(WAIT).until(() -> !outputs.events(AutoRollback.ROLLED_BACK).isEmpty()
                                || outputs.predictions.keySet().contains("b-" + (sent - 1)));
                    }
                    await().atMost(WAIT).until(() -> !outputs.events(AutoRollback.ROLLED_BACK).isEmpty()
                            || !outputs.events(AutoRollback.FAILED).isEmpty());
                    assertThat(outputs.events(AutoRollback.FAILED)).as("events: %s", outputs.events).isEmpty();
                    TrainingEvent rolledBack = outputs.events(AutoRollback.ROLLED_BACK).get(0);
                    Map<String, Object> evidence = rolledBack.details();
                    LOG.info("rolled back: {} {}", rolledBack.message(), evidence);
                    assertThat(rolledBack.version()).isEqualTo(3);
                    assertThat(evidence).containsEntry("restoredVersion", 1).containsEntry("rolledBackVersion", 2)
                            .containsEntry("previousVersion", 1).containsEntry("currentVersion", 2);
                    assertThat(((Number) evidence.get("pValue")).doubleValue()).isLessThan(0.01);
                    assertThat(((Number) evidence.get("currentOutcomes")).intValue())
                            .isBetween(MIN_IMAGES, MAX_BAD_OUTCOMES);
                    assertThat(((Number) evidence.get("previousAccuracy")).doubleValue()
                            - ((Number) evidence.get("currentAccuracy")).doubleValue()).isGreaterThan(0.05);

                    // The classifier swaps to the restored weights, and they do as well as v1 did.
                    await().atMost(WAIT).until(() -> classifier.serving().map(ModelManifest::version).orElse(0) == 3);
                    List<String> after = stream(producer, settings, test, FIRST + 2000, 1000, false, "c-");
                    await().atMost(WAIT).until(() -> outputs.predictions.keySet().containsAll(after));
                    double v1 = accuracyOf(outputs, "a-", 1);
                    double v3 = accuracy(outputs, after, 3);
                    LOG.info("live accuracy by v1 {} vs by v3 (v1's weights restored) {}", v1, v3);
                    assertThat(v3).isGreaterThan(0.6).isGreaterThan(v1 - 0.05);
                    assertThat(trainer.status()).containsKey("liveByVersion");
                }
            }
        }
    }

    private static ModelArtifact train(Dataset data, Dataset test, int epochs) {
        TrainingSpec spec = TrainingSpec.defaults(Architecture.MLP).withModelName(MODEL).withEpochs(epochs)
                .withMaxWallTime(Duration.ofMinutes(2));
        return new ModelTrainer().train(spec, data, test.head(FIRST), TrainingListener.none()).artifact();
    }

    private static Dataset shuffledLabels(Dataset d, Random random) {
        int[] labels = d.labels().clone();
        for (int i = labels.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = labels[i];
            labels[i] = labels[j];
            labels[j] = t;
        }
        return new Dataset(d.name() + "-shuffled", d.width(), d.height(), d.channels(), d.pixels(), labels,
                d.classNames());
    }

    /** No retraining trigger: only the rollback can publish. */
    private TrainerConfig trainerConfig(KafkaSettings settings) {
        return TrainerConfig.defaults(settings.bootstrapServers(), settings.topics(), MODEL)
                .withTriggers(new TriggerSettings(0, 0, 100, Duration.ofMillis(500), Duration.ZERO))
                .withRollback(new RollbackSettings(true, 0.05, MIN_IMAGES, 0.01))
                .withHttp(HttpSettings.off())
                .withStateDir(dir.resolve("trainer"));
    }

    private static long outcomes(TrainerApp trainer, int version) {
        return trainer.confusion().stats(MODEL, version).map(VersionStats::outcomes).orElse(0L);
    }

    /** Sends test images {@code from..from+count} to {@code images}, labelled, and to {@code feedback} if asked. */
    private static List<String> stream(KafkaProducer<String, byte[]> producer, KafkaSettings settings, Dataset test,
                                       int from, int count, boolean feedback, String idPrefix) {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String id = idPrefix + i;
            byte[] pixels = test.image(i).pixels();
            Headers headers = new RecordHeaders();
            ImageHeaders.describeRaw(headers, test.image(i));
            ImageHeaders.put(headers, ImageHeaders.LABEL, Integer.toString(test.label(i)));
            producer.send(new ProducerRecord<>(settings.topics().images(), null, id, pixels, headers));
            if (feedback) {
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

    private static double accuracyOf(Outputs outputs, String idPrefix, int version) {
        List<Prediction> byVersion = outputs.predictions.entrySet().stream()
                .filter(e -> e.getKey().startsWith(idPrefix)).map(Map.Entry::getValue)
                .filter(p -> p.version() == version).toList();
        assertThat(byVersion).as("predictions by v%d", version).isNotEmpty();
        return byVersion.stream().filter(Prediction::correct).count() / (double) byVersion.size();
    }

    /** Reads {@code predictions} and {@code training-events} on a thread of its own. */
    private static final class Outputs implements AutoCloseable {

        final Map<String, Prediction> predictions = new ConcurrentHashMap<>();
        final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private final String predictionsTopic;
        private volatile boolean running = true;

        Outputs(KafkaSettings settings) {
            Properties p = settings.consumerProperties("rollback-" + UUID.randomUUID());
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            predictionsTopic = settings.topics().predictions();
            consumer.subscribe(List.of(predictionsTopic, settings.topics().trainingEvents()));
            thread = new Thread(this::run, "rollback-outputs");
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
