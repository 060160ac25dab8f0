package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.http.ApiToken;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.publish.SeedModel;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.rollback.RollbackSettings;
import dev.osprey.trainer.shadow.ShadowSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.train.TrainingSpec;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey trainer}: the feedback-driven retraining service. */
@Command(name = "trainer", mixinStandardHelpOptions = true,
        description = "Learns from 'feedback', measures live accuracy, and retrains on a 'retrain' record, "
                + "POST /retrain, 'osprey retrain', every N feedback examples or low live accuracy; publishes a "
                + "candidate to 'models' only if it is no worse than the serving model. Publishes a seed v1 "
                + "first when 'models' has none.")
final class TrainerCommand implements Callable<Integer> {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DataOptions data;

    @Mixin
    ApiOptions api;

    @Mixin
    MetricsOptions metricsOptions = new MetricsOptions(9403);

    @Option(names = "--model", paramLabel = "NAME",
            description = "Model to retrain and publish (default: the dataset directory's name).")
    String model;

    @Option(names = "--arch", defaultValue = "mlp",
            description = "Architecture of the seed model and of fresh runs: mlp, cnn or cifar-cnn "
                    + "(default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--retrain-every", paramLabel = "N", defaultValue = "" + TriggerSettings.DEFAULT_RETRAIN_EVERY,
            description = "Retrain after N new feedback examples; 0 turns it off (default: ${DEFAULT-VALUE}).")
    int retrainEvery;

    @Option(names = "--min-live-accuracy", paramLabel = "X",
            defaultValue = "" + TriggerSettings.DEFAULT_MIN_LIVE_ACCURACY,
            description = "Retrain when the serving version's live accuracy falls below X; 0 turns it off "
                    + "(default: ${DEFAULT-VALUE}).")
    double minLiveAccuracy;

    @Option(names = "--accuracy-window", paramLabel = "N", defaultValue = "" + TriggerSettings.DEFAULT_ACCURACY_WINDOW,
            description = "Live accuracy is over the last N predictions that got feedback (default: ${DEFAULT-VALUE}).")
    int accuracyWindow;

    @Option(names = "--min-retrain-interval", paramLabel = "DURATION", defaultValue = "60s",
            description = "Least time from the start of one run to the next; a trigger that comes sooner waits, "
                    + "and one raised by the trainer itself is dropped if no feedback came since the last run; "
                    + "0s lets runs follow each other at once (default: ${DEFAULT-VALUE}).")
    String minRetrainInterval;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "3",
            description = "Epochs of a fine-tune (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--fresh-epochs", paramLabel = "N", defaultValue = "10",
            description = "Epochs of a run from scratch, and of the seed model (default: ${DEFAULT-VALUE}).")
    int freshEpochs;

    @Option(names = "--max-run-time", paramLabel = "DURATION", defaultValue = "5m",
            description = "Training time budget per run, e.g. 90s, 5m (default: ${DEFAULT-VALUE}).")
    String maxRunTime;

    @Option(names = "--base-images", paramLabel = "N", defaultValue = "10000",
            description = "Train-split images mixed into each run with the feedback (default: ${DEFAULT-VALUE}).")
    int baseImages;

    @Option(names = "--tolerance", paramLabel = "X", defaultValue = "" + GateSettings.DEFAULT_TOLERANCE,
            description = "Publish a candidate whose held-out accuracy is at least the serving model's minus X "
                    + "(default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--join-window", paramLabel = "DURATION", defaultValue = "10m",
            description = "How far apart in time a label-only correction and its image may be; the join keeps "
                    + "the window's images on local disk (default: ${DEFAULT-VALUE}).")
    String joinWindow;

    @Option(names = "--max-feedback", paramLabel = "N", defaultValue = "" + FeedbackStore.DEFAULT_CAPACITY,
            description = "The most feedback examples kept to train on, each at the model's input resolution "
                    + "(heap about N x input bytes, ~1 KB each at 28x28); when full, the oldest example of the "
                    + "largest class goes, so each class keeps its newest and a class with fewer than N/classes "
                    + "leaves room to the others: recent corrections describe today's traffic better than a "
                    + "uniform sample of all time (default: ${DEFAULT-VALUE}).")
    int maxFeedback;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "" + HttpSettings.DEFAULT_PORT,
            description = "Port of POST /retrain and GET /status; 0 picks a free one, -1 turns it off; "
                    + "a token (--token-file, env " + ApiToken.ENV + ") guards POST /retrain "
                    + "(default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--application-id",
            description = "Kafka Streams application id, after the topic prefix (default: "
                    + TrainerConfig.DEFAULT_APPLICATION_ID + "-<model>, so one per model).")
    String applicationId;

    @Option(names = "--rollback", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Roll a swapped-in version back by itself when its live accuracy is significantly "
                    + "below the previous version's (default: on; --no-rollback turns it off).")
    boolean rollback;

    @Option(names = "--rollback-threshold", paramLabel = "X", defaultValue = "" + RollbackSettings.DEFAULT_THRESHOLD,
            description = "Roll back when the new version is worse by more than X (0..1), and significantly so "
                    + "(two-proportion z-test, p < " + RollbackSettings.DEFAULT_ALPHA + ") "
                    + "(default: ${DEFAULT-VALUE}).")
    double rollbackThreshold;

    @Option(names = "--rollback-min-images", paramLabel = "N", defaultValue = "" + RollbackSettings.DEFAULT_MIN_IMAGES,
            description = "Labelled live images each version needs before a rollback is judged "
                    + "(default: ${DEFAULT-VALUE}).")
    int rollbackMinImages;

    @Option(names = "--promotion", paramLabel = "offline|shadow", defaultValue = "offline",
            description = "How a candidate that passes the gate is published: 'offline' as the new version at once; "
                    + "'shadow' as a challenger every classifier also scores (to predictions-shadow), promoted only "
                    + "when it beats the serving version on live labelled images by McNemar's test, else retired "
                    + "(default: ${DEFAULT-VALUE}).")
    String promotion;

    @Option(names = "--shadow-min-images", paramLabel = "N", defaultValue = "" + ShadowSettings.DEFAULT_MIN_IMAGES,
            description = "With --promotion shadow: labelled live images both versions must have scored before a "
                    + "verdict (default: ${DEFAULT-VALUE}).")
    int shadowMinImages;

    @Option(names = "--shadow-max-images", paramLabel = "N", defaultValue = "" + ShadowSettings.DEFAULT_MAX_IMAGES,
            description = "With --promotion shadow: a challenger not shown better after N labelled images is retired "
                    + "(default: ${DEFAULT-VALUE}).")
    int shadowMaxImages;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Kafka Streams state directory, a cache of the changelogs (default: a fresh temporary one).")
    Path stateDir;

    TrainerConfig config(KafkaSettings settings, String modelName) {
        TrainerConfig c = new TrainerConfig(settings,
                applicationId == null ? TrainerConfig.defaultApplicationId(settings, modelName)
                        : settings.topicPrefix() + applicationId, modelName, Architecture.fromId(arch),
                new TriggerSettings(retrainEvery, minLiveAccuracy, accuracyWindow,
                        TriggerSettings.DEFAULT_COALESCE_DELAY, duration("--min-retrain-interval", minRetrainInterval)),
                GateSettings.defaults().withTolerance(tolerance),
                new RunSettings(epochs, freshEpochs, duration("--max-run-time", maxRunTime), baseImages,
                        RunSettings.defaults().feedbackShare(), Duration.ZERO),
                duration("--join-window", joinWindow),
                new HttpSettings(api.host, httpPort, api.access()),
                Optional.empty(),
                new RollbackSettings(rollback, rollbackThreshold, rollbackMinImages, RollbackSettings.DEFAULT_ALPHA),
                maxFeedback, promotion());
        return stateDir == null ? c : c.withStateDir(stateDir);
    }

    private ShadowSettings promotion() {
        boolean shadow = switch (promotion) {
            case "offline" -> false;
            case "shadow" -> true;
            default -> throw new IllegalArgumentException("--promotion must be offline or shadow, not '" + promotion
                    + "'");
        };
        return new ShadowSettings(shadow, shadowMinImages, shadowMaxImages, ShadowSettings.DEFAULT_ALPHA);
    }

    @Override
    public Integer call() throws Exception {
        metricsOptions.requirePortFree();
        KafkaSettings settings = kafka.settings();
        Path dataPath = data.resolve(false);
        String modelName = model != null ? model : SeedModel.defaultName(dataPath);
        TrainerConfig config = config(settings, modelName);
        BaseData base = BaseData.load(dataPath);
        TopicAdmin.ensureTopics(settings);
        ModelManifest serving = seed(settings, config, base);
        System.err.println("serving " + serving.tag());
        PrometheusMeterRegistry registry = MetricsOptions.newRegistry("trainer");
        Shutdown shutdown = new Shutdown();
        try (TrainerApp app = new TrainerApp(config, base, registry)) {
            Optional<MetricsServer> metrics = metricsOptions.start(registry, app::running);
            try {
                app.start();
                System.out.println("trainer running for " + modelName + app.httpPort()
                        .map(p -> "; POST http://" + api.displayHost() + ":" + p + "/retrain").orElse("")
                        + "; Ctrl-C stops it");
                shutdown.await();
            } finally {
                metrics.ifPresent(MetricsServer::close);
            }
        } finally {
            shutdown.done();
        }
        return 0;
    }

    /** Trains and publishes v1 when {@code models} has no version of the model yet. */
    private ModelManifest seed(KafkaSettings settings, TrainerConfig config, BaseData base) {
        TrainingSpec spec = TrainingSpec.defaults(config.architecture()).withEpochs(freshEpochs)
                .withModelName(config.modelName());
        try (ModelPublisher publisher = new ModelPublisher(settings, "osprey-trainer-seed-"
                + settings.topicPrefix() + config.modelName())) {
            return SeedModel.ensure(publisher, base.train(), base.test(), spec, ConsoleTrainingListener.onStderr());
        }
    }

    /**
     * The trainer {@code osprey demo} runs beside its classifier: unstarted, on the demo's registry,
     * retraining every 500 feedback examples with short runs, so the demo's 10% feedback makes a run
     * within its first few thousand images, and then at most once per {@code minInterval}, so the
     * runs can be followed on the console. {@code --count 20000} streams faster than a run trains,
     * so closing lets a run in flight finish (up to a minute) rather than throwing it away.
     */
    static TrainerApp forDemo(KafkaSettings settings, Path dataset, Path stateDir, HttpSettings http,
                              Duration minInterval, MeterRegistry registry) throws Exception {
        TrainerConfig config = TrainerConfig.defaults(settings, SeedModel.defaultName(dataset))
                .withTriggers(TriggerSettings.defaults().withRetrainEvery(500).withMinInterval(minInterval))
                .withRun(RunSettings.defaults().withEpochs(2).withBaseImages(5000)
                        .withMaxWallTime(Duration.ofSeconds(60)).withCloseGrace(Duration.ofSeconds(60)))
                .withStateDir(stateDir)
                .withHttp(http);
        return new TrainerApp(config, BaseData.load(dataset), registry);
    }

    /** Parses {@code 500ms}, {@code 90s}, {@code 5m}, {@code 1h}, {@code 2d}. */
    static Duration duration(String flag, String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(flag + " must be a number with a unit (ms, s, m, h, d), e.g. 90s, "
                    + "not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
