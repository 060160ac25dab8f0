package dev.osprey.bench.trainer;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
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
import dev.osprey.ingest.FeedbackStrategy;
import dev.osprey.ingest.IngestOptions;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.IngestSummary;
import dev.osprey.ingest.ProgressDisplay;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active learning at an equal labelling budget: the learning loop of {@code LearningLoopIT} (a v1
 * MLP that never saw classes 0 and 6, a trainer that retrains every N feedback examples, a
 * classifier that swaps to each new version) run once per feedback strategy on a fresh embedded
 * broker. Ingest streams shuffled train-split images through the real {@link IngestService} with
 * {@code --feedback P --feedback-strategy random|uncertain} until the budget is spent; then, with
 * the last version serving, 2,000 more images that were never fed back measure its live accuracy.
 * A full model (v1's recipe with all classes) scored offline on the test split is the reference.
 *
 * <p>usage: {@code ActiveLearningBench [budget [retrainEvery [share [rate]]]]}, defaults 2000 500
 * 0.25 150. Measures accuracy, not speed: the broker is embedded.
 */
public final class ActiveLearningBench {

    private static final String MODEL = "fashion";
    private static final int[] MISSING = {0, 6};
    private static final int GATE_IMAGES = 1500;
    private static final int VALIDATION_IMAGES = 500;
    private static final int MEASURED = 2000;
    private static final Duration WAIT = Duration.ofMinutes(3);

    private ActiveLearningBench() {
    }

    public static void main(String[] args) throws Exception {
        LoggerContext logs = (LoggerContext) LoggerFactory.getILoggerFactory();
        logs.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        logs.getLogger("org.apache.kafka").setLevel(Level.ERROR);
        logs.getLogger("dev.osprey.ingest").setLevel(Level.INFO);
        int budget = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int retrainEvery = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        double share = args.length > 2 ? Double.parseDouble(args[2]) : 0.25;
        double rate = args.length > 3 ? Double.parseDouble(args[3]) : 150;
        if (budget < 1 || retrainEvery < 1 || !(share > 0 && share <= 1) || !(rate > 0)) {
            throw new IllegalArgumentException("need budget >= 1, retrainEvery >= 1, share in (0, 1], rate > 0");
        }
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        Dataset fullTrain = Datasets.load(data, Split.TRAIN);
        Dataset train = withoutClasses(fullTrain, MISSING);
        Dataset test = Datasets.load(data, Split.TEST);

        double full = train(fullTrain.head(10_000), test).testAccuracy();
        System.out.printf(Locale.ROOT, "full model (all classes, v1's recipe), offline on %d test images: %.4f%n",
                GATE_IMAGES, full);
        for (FeedbackStrategy strategy : FeedbackStrategy.values()) {
            Path dir = Files.createTempDirectory("osprey-al-" + strategy.id());
            try {
                Result r = run(strategy, dir, data, train, test, budget, retrainEvery, share, rate);
                System.out.println(r.line(full));
            } finally {
                deleteTree(dir);
            }
        }
    }

    private record Result(FeedbackStrategy strategy, long feedback, IngestSummary ingest, int versions,
                          int finalVersion, double liveAccuracy, int measured, double v1Score,
                          List<long[]> scores) {

        String line(double full) {
            OptionalLong within = scores.stream().filter(s -> s[1] / 1e4 >= full - 0.02).mapToLong(s -> s[0])
                    .min();
            StringBuilder gate = new StringBuilder();
            scores.forEach(s -> gate.append(String.format(Locale.ROOT, " %d->%.4f", s[0], s[1] / 1e4)));
            return String.format(Locale.ROOT, "%-9s feedback spent %d (label requests %d, answered %d, skipped %d); "
                            + "versions published %d (final v%d); live accuracy of v%d on %d never-fed-back images "
                            + "%.4f; gate scores (feedback->test accuracy) v1 %.4f%s; within 2 points of the full "
                            + "model (%.4f): %s", strategy.id(), feedback, ingest.requests().received(),
                    ingest.requests().answered(), ingest.requests().skipped(), versions, finalVersion, finalVersion,
                    measured, liveAccuracy, v1Score, gate, full,
                    within.isPresent() ? "after " + within.getAsLong() + " feedback" : "not reached");
        }
    }

    private static Result run(FeedbackStrategy strategy, Path dir, Path data, Dataset train, Dataset test,
                              int budget, int retrainEvery, double share, double rate) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "al-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            TrainingResult v1Result = train(train.head(10_000), test);
            ModelManifest v1;
            try (ModelPublisher publisher = new ModelPublisher(settings, "al-seed")) {
                v1 = publisher.publish(v1Result.artifact(), MODEL, 0);
            }
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (Outputs outputs = new Outputs(settings);
                 ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(broker.bootstrapServers(),
                         settings.topics()).withStateDir(dir.resolve("classifier")), registry);
                 TrainerApp trainer = new TrainerApp(trainerConfig(settings, dir, retrainEvery),
                         new BaseData(train, test), registry)) {
                classifier.start(Duration.ofMinutes(1));
                trainer.start();

                IngestOptions learn = IngestOptions.builder(data.toString()).split(Split.TRAIN).shuffle(true)
                        .seed(7).count(Math.round(Math.ceil(budget / share))).rate(rate)
                        .feedback(share, Duration.ZERO).feedbackStrategy(strategy).idPrefix("a-").build();
                IngestSummary summary = new IngestService(settings, learn, registry, ProgressDisplay.none()).run();
                long runs = summary.feedbackSent() / retrainEvery;
                waitFor(() -> outputs.events("published").size() + outputs.events("rejected").size()
                        + outputs.events("failed").size() >= runs);
                int last = outputs.events("published").stream().mapToInt(TrainingEvent::version).max()
                        .orElse(v1.version());
                waitFor(() -> classifier.serving().map(ModelManifest::version).orElse(0) == last);

                IngestOptions measure = IngestOptions.builder(data.toString()).split(Split.TRAIN).shuffle(true)
                        .seed(8).count(MEASURED + MEASURED / 2).rate(rate * 2).idPrefix("b-").build();
                new IngestService(settings, measure, registry, ProgressDisplay.none()).run();
                waitFor(() -> outputs.predictionsOf("b-") >= MEASURED + MEASURED / 2);

                Set<String> fedBack = outputs.feedbackStems();
                List<Prediction> byLast = outputs.predictions.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("b-") && !fedBack.contains(stem(e.getKey())))
                        .map(Map.Entry::getValue).filter(p -> p.version() == last).limit(MEASURED).toList();
                double live = byLast.stream().filter(Prediction::correct).count() / (double) byLast.size();
                return new Result(strategy, summary.feedbackSent(), summary, outputs.events("published").size(),
                        last, live, byLast.size(), v1.metrics().get(ModelTrainer.METRIC_ACCURACY),
                        outputs.acceptedScores());
            }
        }
    }

    private static TrainingResult train(Dataset subset, Dataset test) {
        TrainingSpec spec = TrainingSpec.defaults(Architecture.MLP).withModelName(MODEL).withEpochs(2)
                .withMaxWallTime(Duration.ofMinutes(2));
        return new ModelTrainer().train(spec, subset, test.head(GATE_IMAGES), TrainingListener.none());
    }

    private static TrainerConfig trainerConfig(KafkaSettings settings, Path dir, int retrainEvery) {
        return TrainerConfig.defaults(settings.bootstrapServers(), settings.topics(), MODEL)
                .withTriggers(new TriggerSettings(retrainEvery, 0, 200, Duration.ofMillis(500), Duration.ZERO))
                .withGate(GateSettings.defaults().withTestImages(GATE_IMAGES, VALIDATION_IMAGES))
                .withRun(RunSettings.defaults().withEpochs(4).withBaseImages(4000)
                        .withMaxWallTime(Duration.ofSeconds(60)))
                .withHttp(HttpSettings.off())
                .withStateDir(dir.resolve("trainer"));
    }

    /** "a-train-01234" and "b-train-01234" are the same image: "train-01234". */
    private static String stem(String id) {
        return id.substring(id.indexOf('-') + 1);
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not reached within " + WAIT);
            }
            Thread.sleep(200);
        }
    }

    private static Dataset withoutClasses(Dataset d, int... classes) {
        int[] keep = IntStream.range(0, d.size())
                .filter(i -> IntStream.of(classes).noneMatch(c -> c == d.label(i))).toArray();
        return d.select(keep);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Reads {@code predictions}, {@code training-events} and {@code feedback} on a thread of its own;
     * notes how much feedback had come when each run started.
     */
    private static final class Outputs implements AutoCloseable {

        final Map<String, Prediction> predictions = new ConcurrentHashMap<>();
        final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        private final Set<String> feedback = ConcurrentHashMap.newKeySet();
        private final Map<String, Long> feedbackAtStart = new ConcurrentHashMap<>();
        private final AtomicLong feedbackCount = new AtomicLong();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private final KafkaSettings settings;
        private volatile boolean running = true;

        Outputs(KafkaSettings settings) {
            this.settings = settings;
            var p = settings.consumerProperties("al-outputs");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(settings.topics().predictions(), settings.topics().trainingEvents(),
                    settings.topics().feedback()));
            thread = new Thread(this::run, "al-outputs");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (r.topic().equals(settings.topics().predictions())) {
                            predictions.put(r.key(), Prediction.serde().fromBytes(r.value()));
                        } else if (r.topic().equals(settings.topics().feedback())) {
                            feedback.add(stem(r.key()));
                            feedbackCount.incrementAndGet();
                        } else {
                            TrainingEvent e = TrainingEvent.serde().fromBytes(r.value());
                            if ("started".equals(e.type()) && e.runId() != null) {
                                feedbackAtStart.put(e.runId(), feedbackCount.get());
                            }
                            events.add(e);
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

        long predictionsOf(String prefix) {
            return predictions.keySet().stream().filter(k -> k.startsWith(prefix)).count();
        }

        Set<String> feedbackStems() {
            return Set.copyOf(feedback);
        }

        /** Per accepted candidate: {feedback seen when its run started, gate score x 10^4}. */
        List<long[]> acceptedScores() {
            return events("accepted").stream().map(e -> new long[] {
                    feedbackAtStart.getOrDefault(e.runId(), -1L), Math.round(e.candidateScore() * 1e4)}).toList();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
        }
    }
}
