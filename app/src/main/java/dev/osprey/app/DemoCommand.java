package dev.osprey.app;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.state.StateDirectory;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.ingest.HeldOutImages;
import dev.osprey.ingest.IngestException;
import dev.osprey.ingest.IngestOptions;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.ProgressDisplay;
import dev.osprey.ingest.http.IngestHttpServer;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.publish.SeedModel;
import dev.osprey.trainer.train.TrainingSpec;
import dev.osprey.trainer.trigger.HttpSettings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey demo}: the whole pipeline in one JVM on real data — an embedded broker, a seed model
 * trained if none is published, the classifier, and ingest of the test split — with a live status
 * line and, with {@code --count}, one summary line at the end.
 *
 * <p>The accuracy it shows is honest: a share of the test images ({@code --held-out}, picked by id,
 * the same on every pass) never goes to {@code feedback}, so no model version trains on them, and
 * accuracy is measured on those images only. The seed model trains on the train split.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs everything in one JVM: a Kafka broker, a first model (trained if 'models' is empty), "
                + "the classifier and ingest of the test split, with a live status line.")
final class DemoCommand implements Callable<Integer> {

    private static final int DEFAULT_BROKER_PORT = 9092;

    @Mixin
    DataOptions data;

    @Mixin
    MetricsOptions metricsOptions = new MetricsOptions(9400);

    @Mixin
    ApiOptions api;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
            description = "Stop after N predictions and print a summary; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
    long count;

    @Option(names = "--rate", paramLabel = "IMAGES/S",
            description = "Ingest rate; 0 = as fast as it goes (default: 0 with --count, else 1000).")
    Double rate;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Broker port; 0 picks a free one (default: 9092 when it is free, else a free one).")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Broker data directory, kept afterwards (default: a temporary one, deleted at exit).")
    Path dataDir;

    @Option(names = "--arch", defaultValue = "mlp", description = "Seed model architecture (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--epochs", defaultValue = "3", description = "Seed model epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--feedback", paramLabel = "P", defaultValue = "0.1",
            description = "Share of images also sent to 'feedback' with their true label (default: ${DEFAULT-VALUE}).")
    double feedback;

    @Option(names = "--held-out", paramLabel = "P", defaultValue = "0.5",
            description = "Share of the test images never sent to 'feedback'; the accuracy shown is measured on "
                    + "them only, images no model trained on. 0 measures on all images, fed back ones included "
                    + "(default: ${DEFAULT-VALUE}).")
    double heldOutShare;

    @Option(names = "--min-retrain-interval", paramLabel = "DURATION", defaultValue = "60s",
            description = "Least time between the starts of two retraining runs, e.g. 30s, 5m "
                    + "(default: ${DEFAULT-VALUE}).")
    String minRetrainInterval;

    @Option(names = "--http-port", defaultValue = "8080",
            description = "Port of the HTTP API (POST /images, GET /predictions/{id}, POST /feedback/{id}); "
                    + "0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--trainer-http-port", defaultValue = "8081",
            description = "Port of the trainer's POST /retrain and GET /status; 0 picks a free one, -1 turns it "
                    + "off (default: ${DEFAULT-VALUE}).")
    int trainerHttpPort;

    @Option(names = "--linger", paramLabel = "SECONDS", defaultValue = "0",
            description = "With --count, keep everything (and /metrics) running this long after the summary.")
    long lingerSeconds;

    @Option(names = "--status-interval", paramLabel = "MS", defaultValue = "1000",
            description = "How often the status line is printed (default: ${DEFAULT-VALUE}).")
    long statusIntervalMs;

    @Override
    public Integer call() throws Exception {
        if (count < 0 || lingerSeconds < 0 || statusIntervalMs < 100) {
            throw new IllegalArgumentException("--count and --linger must be >= 0, --status-interval >= 100 ms");
        }
        if (!(heldOutShare >= 0 && heldOutShare <= 1)) {
            throw new IllegalArgumentException("--held-out must be in [0, 1]: " + heldOutShare);
        }
        Path dataset = data.resolve(true);
        HeldOutImages heldOut = new HeldOutImages(heldOutShare);
        Duration retrainInterval = TrainerCommand.duration("--min-retrain-interval", minRetrainInterval);
        IngestOptions ingestOptions = ingestOptions(dataset, heldOut);
        // Every port before the broker starts and the seed model trains, so a clash costs no waiting.
        metricsOptions.requirePortFree();
        Ports.requireFree(api.host, httpPort, "--http-port");
        Ports.requireFree(api.host, trainerHttpPort, "--trainer-http-port");
        HttpAccess access = api.access();
        if (httpPort >= 0 || trainerHttpPort >= 0) {
            access.requireSafeBind(api.host, "uploads, feedback and POST /retrain");
        }
        HttpSettings trainerHttp = new HttpSettings(api.host, trainerHttpPort, access);
        Architecture architecture = Architecture.fromId(arch);
        StateDirectory state = StateDirectory.of(Optional.ofNullable(dataDir), "osprey-demo-");
        Path brokerDir = state.path();
        Shutdown shutdown = new Shutdown();
        PrometheusMeterRegistry registry = MetricsOptions.newRegistry("demo");
        DemoBrokerFile brokerFile = DemoBrokerFile.of(System.getenv());
        String written = null;
        try (EmbeddedBroker broker = EmbeddedBroker.start(brokerDir.resolve("kafka"), brokerPort())) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "");
            brokerFile.write(broker.bootstrapServers());
            written = broker.bootstrapServers();
            System.err.println("broker at " + broker.bootstrapServers() + " (data in " + brokerDir
                    + "; other osprey commands find it through " + brokerFile.path() + ")");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelManifest seed = seedModel(settings, dataset, architecture);
            System.err.println("serving " + seed.tag() + " (test accuracy "
                    + String.format(Locale.ROOT, "%.4f", seed.metrics().getOrDefault("testAccuracy", 0.0)) + ")");
            try (ClassifierApp classifier = new ClassifierApp(classifierConfig(settings, brokerDir), registry);
                 PredictionWatcher watcher = new PredictionWatcher(settings, scored(heldOut, ingestOptions));
                 // trainer: closed first (reverse order), before the classifier it feeds
                 TrainerApp trainer = TrainerCommand.forDemo(settings, dataset, brokerDir.resolve("trainer"),
                         trainerHttp, retrainInterval, registry)) {
                Optional<MetricsServer> metrics = metricsOptions.start(registry,
                        () -> classifier.running() && classifier.serving().isPresent());
                Optional<IngestHttpServer> http = Optional.empty();
                try {
                    classifier.start(Duration.ofMinutes(2));
                    trainer.start(); // after the classifier: it retrains the model the classifier serves
                    watcher.start();
                    http = startHttp(settings, access, registry, seed.classes().size());
                    // Elapsed time counts from the first image, not from seed training.
                    long streaming = System.nanoTime();
                    IngestService ingest = new IngestService(settings, ingestOptions, registry,
                            ProgressDisplay.none());
                    AtomicReference<Throwable> ingestFailure = new AtomicReference<>();
                    CompletableFuture<Void> ingesting = CompletableFuture.runAsync(() -> {
                        try {
                            ingest.run();
                        } catch (Exception e) {
                            ingestFailure.set(e);
                        }
                    });
                    runUntilDone(watcher, shutdown, ingestFailure, streaming);
                    ingest.stop();
                    ingesting.join();
                    // Also after Ctrl-C: the shutdown hook waits for this command to close.
                    System.out.println(summary(watcher, streaming));
                    if (count > 0 && watcher.answered() >= count) {
                        lingerIfAsked(shutdown);
                    }
                } finally {
                    http.ifPresent(IngestHttpServer::close);
                    metrics.ifPresent(MetricsServer::close);
                }
            }
        } finally {
            if (written != null) {
                brokerFile.removeIfOwn(written);
            }
            state.close();
            shutdown.done();
        }
        return 0;
    }

    /** The asked port, else Kafka's usual 9092 when it is free (so kcat -b localhost:9092 works), else any. */
    private int brokerPort() {
        if (port != null) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be in [0, 65535]: " + port);
            }
            return port;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(EmbeddedBroker.HOST, DEFAULT_BROKER_PORT));
            return DEFAULT_BROKER_PORT;
        } catch (IOException e) {
            return 0;
        }
    }

    private ModelManifest seedModel(KafkaSettings settings, Path dataset, Architecture architecture)
            throws IOException {
        TrainingSpec spec = TrainingSpec.defaults(architecture).withEpochs(epochs)
                .withModelName(SeedModel.defaultName(dataset));
        try (ModelPublisher publisher = new ModelPublisher(settings, "osprey-demo-seed")) {
            return SeedModel.ensure(publisher, dataset, spec, ConsoleTrainingListener.onStderr());
        }
    }

    /** The ingest HTTP API, as {@code osprey ingest --serve} runs it, unless turned off. */
    private Optional<IngestHttpServer> startHttp(KafkaSettings settings, HttpAccess access,
                                                 PrometheusMeterRegistry registry, int classes)
            throws IngestException {
        if (httpPort < 0) {
            return Optional.empty();
        }
        IngestHttpServer server = IngestHttpServer.start(settings, api.host, httpPort, access, registry);
        // Feedback with a label the model does not have is refused at once, naming the range.
        server.classCount(classes);
        System.err.println("HTTP API on http://" + api.displayHost() + ":" + server.port()
                + " (POST /images, GET /predictions/{id}, POST /feedback/{id})");
        System.err.println("console: http://" + api.displayHost() + ":" + server.port() + "/");
        return Optional.of(server);
    }

    private ClassifierConfig classifierConfig(KafkaSettings settings, Path brokerDir) {
        return ClassifierConfig.defaults(settings)
                .withStateDir(brokerDir.resolve("streams"));
    }

    /** Checked before anything starts: a bad --feedback / --held-out pair costs no waiting. */
    private IngestOptions ingestOptions(Path dataset, HeldOutImages heldOut) {
        return IngestOptions.builder(dataset.toString())
                .count(count)
                .loop(true)
                .shuffle(true)
                .seed(System.nanoTime())
                .rate(rate != null ? rate : count > 0 ? 0 : 1000)
                .feedback(feedback, Duration.ZERO)
                .heldOut(heldOut)
                .idPrefix("demo-" + Long.toString(System.currentTimeMillis(), 36) + "-")
                .build();
    }

    /** The predictions accuracy is measured on: the held-out images, or all when none is held out. */
    private static Predicate<String> scored(HeldOutImages heldOut, IngestOptions options) {
        return heldOut.share() == 0 ? id -> true : id -> heldOut.containsId(id, options.idPrefix());
    }

    /** What the accuracy is measured on, in the words of the status line. */
    private String accuracyOn() {
        return heldOutShare == 0 ? "accuracy on all images (fed back ones included)"
                : "accuracy on never-trained images";
    }

    /** Prints the status line until the count is answered, ingest fails, or Ctrl-C. */
    private void runUntilDone(PredictionWatcher watcher, Shutdown shutdown, AtomicReference<Throwable> ingestFailure,
                              long started) throws InterruptedException {
        boolean terminal = System.console() != null;
        long lastCount = 0;
        long lastTime = System.nanoTime();
        while (!shutdown.awaitFor(Duration.ofMillis(statusIntervalMs))) {
            if (ingestFailure.get() != null) {
                throw new IllegalStateException("ingest failed: " + Errors.describe(ingestFailure.get()),
                        ingestFailure.get());
            }
            long now = System.nanoTime();
            long answered = watcher.answered();
            double perSecond = (answered - lastCount) / ((now - lastTime) / 1e9);
            lastCount = answered;
            lastTime = now;
            String line = String.format(Locale.ROOT,
                    "%6.1f s  images %,d%s  %,.0f img/s  %s %.4f (%,d)  model %s  latency %.0f ms  dead letters %d",
                    (now - started) / 1e9, answered, count > 0 ? "/" + String.format(Locale.ROOT, "%,d", count) : "",
                    perSecond, accuracyOn(), watcher.accuracy(), watcher.scoredCount(), watcher.model(),
                    watcher.meanLatencyMs(), watcher.deadLetters());
            System.err.print(terminal ? "\r" + line + "   " : line + System.lineSeparator());
            System.err.flush();
            if (count > 0 && answered >= count) {
                break;
            }
        }
        if (terminal) {
            System.err.println();
        }
    }

    private String summary(PredictionWatcher watcher, long started) {
        double seconds = (System.nanoTime() - started) / 1e9;
        String on = heldOutShare == 0 ? "all_images" : "never_trained_images";
        return String.format(Locale.ROOT,
                "images=%d accuracy=%.4f accuracy_on=%s scored=%d model=%s dead_letters=%d elapsed=%.1fs",
                watcher.answered(), watcher.accuracy(), on, watcher.scoredCount(), watcher.model(),
                watcher.deadLetters(), seconds);
    }

    private void lingerIfAsked(Shutdown shutdown) throws InterruptedException {
        if (lingerSeconds > 0) {
            System.err.println("lingering " + lingerSeconds + " s (metrics stay up); Ctrl-C ends it");
            shutdown.awaitFor(Duration.ofSeconds(lingerSeconds));
        }
    }
}
