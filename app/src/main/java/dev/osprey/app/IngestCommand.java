package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.ingest.ImageEncoding;
import dev.osprey.ingest.FeedbackStrategy;
import dev.osprey.ingest.IngestOptions;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.IngestSummary;
import dev.osprey.ingest.http.IngestHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey ingest}: publishes images to the {@code images} topic; with {@code --serve} it also
 * serves the HTTP API ({@link IngestHttpServer}) until Ctrl-C.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Publishes images to 'images' from an MNIST-format IDX directory, CIFAR-10 binary batches, "
                + "a folder of PNG/JPEG/BMP files, one image file, or '-' (one image on standard input). "
                + "With --serve, serves the HTTP API until Ctrl-C: POST /images (curl -T shoe.png "
                + "http://HOST:PORT/images), GET /predictions/{id}, POST /feedback/{id}.")
final class IngestCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    ApiOptions api;

    @Mixin
    MetricsOptions metricsOptions = new MetricsOptions(-1);

    @Option(names = "--data", paramLabel = "PATH",
            description = "The source: a dataset directory, an image file or '-' (env OSPREY_DATA, "
                    + "default /usr/share/datasets/fashion-mnist).")
    String source;

    @Option(names = "--format", description = "idx, cifar10, folder or file (default: detected from the path).")
    String format;

    @Option(names = "--split", defaultValue = "test", description = "test or train (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--count", defaultValue = "0",
            description = "Images to publish; 0 = the whole source once (default: ${DEFAULT-VALUE}).")
    long count;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "IMAGES/S",
            description = "Images per second, evenly paced; 0 = as fast as Kafka takes them (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--shuffle", description = "Publish in a random order.")
    boolean shuffle;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for --shuffle and --feedback (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--loop", description = "Start again at the end of the source.")
    boolean loop;

    @Option(names = "--encoding", defaultValue = "auto",
            description = "raw (pixels with headers), png, or auto: raw for datasets, the file's own bytes for "
                    + "files (default: ${DEFAULT-VALUE}).")
    String encoding;

    @Option(names = "--feedback", paramLabel = "P", defaultValue = "0",
            description = "Also send a share P in [0, 1] of labelled copies to 'feedback' (default: ${DEFAULT-VALUE}).")
    double feedback;

    @Option(names = "--feedback-strategy", paramLabel = "random|uncertain", defaultValue = "random",
            description = "Which labelled images --feedback spends its budget on: 'random', a seeded random "
                    + "share P; or 'uncertain', the images the classifier asks about on 'label-requests' (its "
                    + "least confident ones) that this run published, each once, at most P times the images "
                    + "published so far (default: ${DEFAULT-VALUE}).")
    String feedbackStrategy;

    @Option(names = "--feedback-delay", paramLabel = "MS", defaultValue = "0",
            description = "Send each feedback copy this many ms after its image (default: ${DEFAULT-VALUE}).")
    long feedbackDelayMs;

    @Option(names = "--id-prefix", defaultValue = "", description = "Put before every image id.")
    String idPrefix;

    @Option(names = "--serve",
            description = "Serve the HTTP API until Ctrl-C; with --data, publish that source too. Uploads and "
                    + "feedback need 'Authorization: Bearer <token>' when a token is set (--token-file, env "
                    + ApiToken.ENV + ").")
    boolean serve;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port of the HTTP API with --serve; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "" + IngestHttpServer.DEFAULT_MAX_PIXELS,
            description = "With --serve: pixel budget per uploaded PNG/JPEG/BMP (width x height, read from its "
                    + "header before decoding; larger ones are answered 413). Match the classifiers' --max-pixels "
                    + "(default: ${DEFAULT-VALUE}, the smallest budget a classifier picks by itself).")
    long maxPixels;

    @Option(names = "--classes", paramLabel = "N",
            description = "With --serve: the model's number of classes; POST /feedback with a label outside "
                    + "0..N-1 is answered 400 (default: any label >= 0 is taken).")
    Integer classes;

    IngestOptions options(String resolvedSource) {
        IngestOptions.Builder b = IngestOptions.builder(resolvedSource)
                .split(parseSplit(split))
                .count(count)
                .rate(rate)
                .shuffle(shuffle)
                .seed(seed)
                .loop(loop)
                .encoding(parseEncoding(encoding))
                .feedback(feedback, Duration.ofMillis(feedbackDelayMs))
                .feedbackStrategy(FeedbackStrategy.parse(feedbackStrategy))
                .idPrefix(idPrefix);
        if (format != null) {
            b.format(parseFormat(format));
        }
        return b.build();
    }

    /** The running HTTP API, for /readyz. */
    private final AtomicReference<IngestHttpServer> serving = new AtomicReference<>();

    @Override
    public Integer call() throws Exception {
        KafkaSettings settings = kafka.settings();
        // Parsed before anything starts, so a bad option fails fast.
        if (classes != null && classes < 2) {
            throw new IllegalArgumentException("--classes must be at least 2: " + classes);
        }
        IngestOptions options = serve && source == null ? null : options(resolveSource());
        HttpAccess access = api.access();
        if (serve) {
            access.requireSafeBind(api.host, "uploads and feedback");
        }
        PrometheusMeterRegistry registry = MetricsOptions.newRegistry("ingest");
        // Serving, ready means the HTTP API's sends reach Kafka; a one-off publish is ready while it runs.
        Optional<MetricsServer> metrics = metricsOptions.start(registry,
                () -> !serve || serving.get() != null && serving.get().ready());
        try {
            return serve ? serve(settings, options, access, registry) : publish(settings, options, registry);
        } finally {
            metrics.ifPresent(MetricsServer::close);
        }
    }

    /** Serves until Ctrl-C, publishing {@code options}' source first when there is one. */
    private int serve(KafkaSettings settings, IngestOptions options, HttpAccess access,
                      PrometheusMeterRegistry registry) throws Exception {
        Shutdown shutdown = new Shutdown();
        TopicAdmin.ensureTopics(settings); // the server writes images and feedback and reads predictions
        try (IngestHttpServer http = IngestHttpServer.start(settings, api.host, httpPort, access, registry,
                maxPixels)) {
            serving.set(http);
            if (classes != null) {
                http.classCount(classes);
            }
            System.out.println("ingest API on http://" + api.host + ":" + http.port() + " (try: curl -T image.png "
                    + "http://" + api.displayHost() + ":" + http.port() + "/images); Ctrl-C stops it");
            System.out.println("console: http://" + api.displayHost() + ":" + http.port() + "/");
            int code = options == null ? 0 : publish(settings, options, registry);
            shutdown.await();
            return code;
        } finally {
            shutdown.done();
        }
    }

    private int publish(KafkaSettings settings, IngestOptions options, PrometheusMeterRegistry registry)
            throws Exception {
        IngestService service = new IngestService(settings, options, registry);
        Thread hook = new Thread(service::stop, "osprey-ingest-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            IngestSummary summary = service.run();
            return summary.errors() == 0 ? 0 : 1;
        } finally {
            removeHook(hook);
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Ctrl-C stopped the run: the JVM is shutting down and the hook has already run.
        }
    }

    private String resolveSource() throws Exception {
        return source != null ? source : new DataOptions().resolve(false).toString();
    }

    static Split parseSplit(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "test" -> Split.TEST;
            case "train" -> Split.TRAIN;
            default -> throw new IllegalArgumentException("--split must be test or train, not '" + s + "'");
        };
    }

    static ImageEncoding parseEncoding(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "auto" -> ImageEncoding.AUTO;
            case "raw" -> ImageEncoding.RAW;
            case "png" -> ImageEncoding.PNG;
            default -> throw new IllegalArgumentException("--encoding must be raw, png or auto, not '" + s + "'");
        };
    }

    static DatasetKind parseFormat(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "idx", "mnist" -> DatasetKind.IDX;
            case "cifar10", "cifar-10", "cifar" -> DatasetKind.CIFAR10;
            case "folder", "image-folder" -> DatasetKind.IMAGE_FOLDER;
            case "file", "image" -> DatasetKind.IMAGE_FILE;
            default -> throw new IllegalArgumentException("--format must be idx, cifar10, folder or file, not '"
                    + s + "'");
        };
    }
}
