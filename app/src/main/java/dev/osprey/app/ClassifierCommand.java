package dev.osprey.app;

import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.classifier.batch.BatchSettings;
import dev.osprey.classifier.batch.Parallelism;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey classifier}: the Kafka Streams classifier service. */
@Command(name = "classifier", mixinStandardHelpOptions = true,
        description = "Classifies the images on 'images' in micro-batches with the newest model on 'models'; "
                + "writes JSON to 'predictions' and rejected images to 'images-dlq'.")
final class ClassifierCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    MetricsOptions metricsOptions = new MetricsOptions(9401);

    @Option(names = "--max-batch", defaultValue = "" + BatchSettings.DEFAULT_MAX_BATCH,
            description = "Largest batch per forward pass (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-batch-bytes", paramLabel = "BYTES",
            defaultValue = "" + BatchSettings.DEFAULT_MAX_BATCH_BYTES,
            description = "Most bytes a batch buffers (decoded pixels plus the original records); a batch of "
                    + "large images runs early when it is reached (default: ${DEFAULT-VALUE}).")
    long maxBatchBytes;

    @Option(names = "--max-pixels", paramLabel = "N",
            description = "Pixel budget per encoded image (width x height, read from its header before "
                    + "decoding; larger ones go to images-dlq as too-large). Default: from the heap and "
                    + "--max-batch, between 1048576 (1024x1024) and 16777216 (4096x4096); see docs/OPERATIONS.md.")
    Long maxPixels;

    @Option(names = "--label-requests-per-second", paramLabel = "R",
            defaultValue = "" + BatchSettings.DEFAULT_LABEL_REQUESTS_PER_SECOND,
            description = "Active learning: at most R of the least confident predictions a second, per input "
                    + "partition, also go to 'label-requests' for a labeller to answer first; 0 turns it off "
                    + "(default: ${DEFAULT-VALUE}).")
    double labelRequestsPerSecond;

    @Option(names = "--max-delay", paramLabel = "MS", defaultValue = "20",
            description = "Longest time in ms the oldest image of a batch waits (default: ${DEFAULT-VALUE}).")
    long maxDelayMs;

    @Option(names = "--guarantee", defaultValue = "exactly_once",
            description = "exactly_once or at_least_once (default: ${DEFAULT-VALUE}).")
    String guarantee;

    @Option(names = "--threads", paramLabel = "N",
            description = "Stream threads: consume, decode, forward, commit (default: cores/4, at least 1).")
    Integer threads;

    @Option(names = "--inference-threads", paramLabel = "N",
            description = "Forward-pass workers the stream threads hand their batches to; 0 runs each batch on "
                    + "its stream thread (default: cores/2, at least 1).")
    Integer inferenceThreads;

    @Option(names = "--in-flight", paramLabel = "N",
            description = "Batches per partition handed to the workers and not yet written; with that many the "
                    + "stream thread waits (default: 2).")
    Integer inFlight;

    @Option(names = "--intra-op-threads", paramLabel = "N",
            description = "PyTorch intra-op threads per forward pass; 0 keeps PyTorch's default, one per core "
                    + "(default: 1; scale with --inference-threads instead).")
    Integer intraOpThreads;

    @Option(names = "--commit-interval", paramLabel = "MS", defaultValue = "100",
            description = "Kafka Streams commit interval in ms (default: ${DEFAULT-VALUE}).")
    long commitIntervalMs;

    @Option(names = "--model", paramLabel = "NAME",
            description = "The one model name to serve (default: the first name on the models topic);"
                    + " other names are logged once and ignored.")
    String modelName;

    @Option(names = "--application-id", defaultValue = ClassifierConfig.DEFAULT_APPLICATION_ID,
            description = "Kafka Streams application id; instances with the same id share the work "
                    + "(default: ${DEFAULT-VALUE}, after the topic prefix).")
    String applicationId;

    @Option(names = "--instance-id", paramLabel = "ID",
            description = "Static group membership id: a restarted instance with the same id takes its "
                    + "partitions back at once, without a rebalance (default: dynamic membership).")
    String instanceId;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Kafka Streams state directory (default: a fresh temporary one).")
    Path stateDir;

    @Option(names = "--status-interval", paramLabel = "SECONDS", defaultValue = "10",
            description = "Print a status line this often; 0 turns it off (default: ${DEFAULT-VALUE}).")
    long statusSeconds;

    @Option(names = "--model-wait", paramLabel = "SECONDS", defaultValue = "86400",
            description = "How long to wait for a first model (default: ${DEFAULT-VALUE}).")
    long modelWaitSeconds;

    ClassifierConfig config(KafkaSettings settings) {
        return new ClassifierConfig(settings,
                settings.topicPrefix() + applicationId, batchSettings(),
                ClassifierConfig.Guarantee.parse(guarantee), parallelism(),
                Duration.ofMillis(commitIntervalMs), Optional.ofNullable(modelName), Optional.ofNullable(stateDir),
                Optional.ofNullable(instanceId));
    }

    /** {@link Parallelism#forThisMachine()}, with what the options override. */
    Parallelism parallelism() {
        Parallelism p = Parallelism.forThisMachine();
        if (threads != null) {
            p = p.withStreamThreads(threads);
        }
        if (inferenceThreads != null) {
            p = p.withInferenceThreads(inferenceThreads);
        }
        if (inFlight != null) {
            p = p.withMaxInFlight(inFlight);
        }
        if (intraOpThreads != null) {
            p = p.withIntraOpThreads(intraOpThreads);
        }
        return p;
    }

    BatchSettings batchSettings() {
        long pixels = maxPixels != null ? maxPixels
                : BatchSettings.defaultMaxPixels(Runtime.getRuntime().maxMemory(), maxBatch);
        return new BatchSettings(maxBatch, Duration.ofMillis(maxDelayMs), maxBatchBytes, pixels,
                labelRequestsPerSecond);
    }

    @Override
    public Integer call() throws Exception {
        metricsOptions.requirePortFree();
        KafkaSettings settings = kafka.settings();
        ClassifierConfig config = config(settings);
        TopicAdmin.ensureTopics(settings);
        PrometheusMeterRegistry registry = MetricsOptions.newRegistry("classifier");
        Shutdown shutdown = new Shutdown();
        try (ClassifierApp app = new ClassifierApp(config, registry)) {
            Optional<MetricsServer> metrics = metricsOptions.start(registry,
                    () -> app.running() && app.serving().isPresent(), app::failure);
            try {
                app.start(Duration.ofSeconds(modelWaitSeconds));
                System.out.println("classifier running (" + config.applicationId() + "); Ctrl-C stops it");
                try (ClassifierStatus status = new ClassifierStatus(registry, app, System.out)) {
                    if (statusSeconds > 0) {
                        status.start(Duration.ofSeconds(statusSeconds));
                    }
                    Optional<String> failure = shutdown.awaitOrFailure(app::failure);
                    if (failure.isPresent()) {
                        System.err.println("osprey classifier: " + failure.get() + "; exiting so that it can be "
                                + "restarted");
                        return 1;
                    }
                }
            } finally {
                metrics.ifPresent(MetricsServer::close);
            }
        } finally {
            shutdown.done();
        }
        return 0;
    }
}
