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
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.shadow.ShadowSettings;
import dev.osprey.trainer.shadow.ShadowTrial;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Promotion through shadow scoring, on a real broker and the real Fashion-MNIST, with no human
 * step: v1 never saw T-shirt/top and Shirt; train-split images it never trained on stream with 20%
 * feedback; the trainer retrains after {@value #RETRAIN_EVERY} feedback examples, and its
 * candidate, which passes the offline gate, goes to the classifiers as a challenger
 * ({@code --promotion shadow}) instead of replacing v1. Both score every image; the trainer joins
 * {@code predictions-shadow} with the feedback and promotes the challenger by McNemar's test.
 * Then the live accuracy of the promoted version on images that follow must be within 2 points of
 * a full model's offline accuracy: one trained by v1's own recipe on all ten classes.
 */
class ShadowPromotionIT {

    private static final Logger LOG = LoggerFactory.getLogger(ShadowPromotionIT.class);
    private static final String MODEL = LearningLoopIT.MODEL;
    private static final int RETRAIN_EVERY = 1000;
    private static final int FEEDBACK_EVERY = 5; // 20%
    /** Streamed train-split images start here: v1 and the full model train on the first 10,000. */
    private static final int FIRST_STREAMED = 20_000;
    private static final int CHUNK = 500;
    private static final int AFTER_PROMOTION = 2000;
    private static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 9, unit = TimeUnit.MINUTES)
    void aCandidateIsPromotedOnLiveEvidenceAndServesWithinTwoPointsOfAFullModel() throws Exception {
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isDirectory(data), "Fashion-MNIST is not installed at " + data
                + " (apt-get install dataset-fashion-mnist)");
        Dataset fullTrain = Datasets.load(data, Split.TRAIN);
        Dataset train = LearningLoopIT.withoutClasses(fullTrain, LearningLoopIT.MISSING);
        Dataset test = Datasets.load(data, Split.TEST);
        double full = fullModelAccuracy(fullTrain, test);

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "shadow-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelManifest v1 = LearningLoopIT.publishV1(settings, train, test);

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (LearningLoopIT.Outputs outputs = new LearningLoopIT.Outputs(settings);
                 ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(broker.bootstrapServers(),
                         settings.topics()).withStateDir(dir.resolve("classifier")), registry);
                 TrainerApp trainer = new TrainerApp(trainerConfig(settings), new BaseData(train, test), registry);
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                         new StringSerializer(), new ByteArraySerializer())) {
                classifier.start(Duration.ofMinutes(1));
                trainer.start();

                // Until the trainer has a challenger in shadow, then until it is promoted or retired.
                int next = FIRST_STREAMED;
                List<String> streamed = new ArrayList<>();
                int limit = FIRST_STREAMED + 15_000;
                while (outputs.events(ShadowTrial.PROMOTED).isEmpty() && outputs.events(ShadowTrial.RETIRED).isEmpty()
                        && outputs.events("rejected").isEmpty() && outputs.events("failed").isEmpty()
                        && next < limit) {
                    streamed.addAll(LearningLoopIT.stream(producer, settings, fullTrain, next, CHUNK,
                            FEEDBACK_EVERY, "s-"));
                    next += CHUNK;
                    Thread.sleep(outputs.events(ShadowTrial.STARTED).isEmpty() ? 1500 : 500);
                    if (next == FIRST_STREAMED + RETRAIN_EVERY * FEEDBACK_EVERY) {
                        // The run takes a while; the images streamed meanwhile are v1's alone.
                        await().atMost(WAIT).until(() -> !outputs.events(ShadowTrial.STARTED).isEmpty()
                                || !outputs.events("rejected").isEmpty() || !outputs.events("failed").isEmpty());
                    }
                }
                assertThat(outputs.events(ShadowTrial.STARTED)).as("events: %s", outputs.events).hasSize(1);
                assertThat(outputs.events(ShadowTrial.PROMOTED)).as("events: %s", outputs.events).hasSize(1);
                assertThat(outputs.events(ShadowTrial.RETIRED)).isEmpty();
                TrainingEvent started = outputs.events(ShadowTrial.STARTED).get(0);
                TrainingEvent promoted = outputs.events(ShadowTrial.PROMOTED).get(0);
                assertThat(started.version()).isEqualTo(2);
                assertThat(promoted.version()).isEqualTo(2);
                Map<String, Object> evidence = promoted.details();
                assertThat(((Number) evidence.get("pairs")).longValue())
                        .isGreaterThanOrEqualTo(ShadowSettings.DEFAULT_MIN_IMAGES);
                assertThat(((Number) evidence.get("challengerOnlyRight")).longValue())
                        .isGreaterThan(((Number) evidence.get("championOnlyRight")).longValue());
                assertThat(((Number) evidence.get("pValue")).doubleValue()).isLessThan(ShadowSettings.DEFAULT_ALPHA);
                // While v2 ran in shadow, v1 kept serving: nothing on predictions came from v2 before the promotion.
                assertThat(outputs.events("published")).hasSize(1);

                await().atMost(WAIT).until(() -> classifier.serving().map(ModelManifest::version).orElse(0) == 2);
                List<String> after = LearningLoopIT.stream(producer, settings, fullTrain, next, AFTER_PROMOTION,
                        Integer.MAX_VALUE, "a-");
                await().atMost(WAIT).until(() -> outputs.predictions.keySet().containsAll(after));
                List<Prediction> byV2 = after.stream().map(outputs.predictions::get)
                        .filter(p -> p.version() == 2).toList();
                assertThat(byV2).hasSizeGreaterThan(AFTER_PROMOTION * 9 / 10);
                double live = byV2.stream().filter(Prediction::correct).count() / (double) byV2.size();
                LOG.info(String.format(Locale.ROOT, "shadow promotion: v1 offline %.4f; %s; v2 live on the next "
                                + "%d images %.4f; a full model offline %.4f; %d images streamed before the "
                                + "promotion, %d feedback", v1.metrics().get(ModelTrainer.METRIC_ACCURACY),
                        promoted.message(), byV2.size(), live, full, streamed.size(),
                        streamed.size() / FEEDBACK_EVERY));
                assertThat(live).as("v2 live %.4f vs full model offline %.4f", live, full)
                        .isGreaterThanOrEqualTo(full - 0.02);
            }
        }
    }

    /** v1's recipe (an MLP, 2 epochs on 10,000 train images) with every class, scored like v1. */
    private static double fullModelAccuracy(Dataset train, Dataset test) {
        TrainingSpec spec = TrainingSpec.defaults(Architecture.MLP).withModelName(MODEL).withEpochs(2)
                .withMaxWallTime(Duration.ofMinutes(2));
        TrainingResult result = new ModelTrainer().train(spec, train.head(10_000),
                test.head(LearningLoopIT.GATE_IMAGES), TrainingListener.none());
        return result.artifact().manifest().metrics().get(ModelTrainer.METRIC_ACCURACY);
    }

    /** Retrains once after {@value #RETRAIN_EVERY} feedback examples (then not for ten minutes); shadow promotion. */
    private TrainerConfig trainerConfig(KafkaSettings settings) {
        return TrainerConfig.defaults(settings.bootstrapServers(), settings.topics(), MODEL)
                .withTriggers(new TriggerSettings(RETRAIN_EVERY, 0, 200, Duration.ofMillis(500),
                        Duration.ofMinutes(10)))
                .withGate(GateSettings.defaults().withTestImages(LearningLoopIT.GATE_IMAGES, 500))
                .withRun(RunSettings.defaults().withEpochs(6).withBaseImages(6000)
                        .withMaxWallTime(Duration.ofSeconds(90)))
                .withPromotion(ShadowSettings.shadowScoring())
                .withHttp(HttpSettings.off())
                .withStateDir(dir.resolve("trainer"));
    }
}
