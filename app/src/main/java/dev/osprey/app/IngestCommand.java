package dev.osprey.app;

import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.metrics.MetricsServer;
import dev.osprey.ingest.ImageEncoding;
import dev.osprey.ingest.IngestOptions;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.IngestSummary;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey ingest}: publishes images to the {@code images} topic. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Publishes images to 'images' from an MNIST-format IDX directory, CIFAR-10 binary batches, "
                + "a folder of PNG/JPEG/BMP files, one image file, or '-' (one image on standard input).")
final class IngestCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

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

    @Option(names = "--feedback-delay", paramLabel = "MS", defaultValue = "0",
            description = "Send each feedback copy this many ms after its image (default: ${DEFAULT-VALUE}).")
    long feedbackDelayMs;

    @Option(names = "--id-prefix", defaultValue = "", description = "Put before every image id.")
    String idPrefix;

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
                .idPrefix(idPrefix);
        if (format != null) {
            b.format(parseFormat(format));
        }
        return b.build();
    }

    @Override
    public Integer call() throws Exception {
        String resolved = source != null ? source
                : new DataOptions().resolve(false).toString();
        IngestOptions options = options(resolved);
        PrometheusMeterRegistry registry = MetricsOptions.newRegistry("ingest");
        Optional<MetricsServer> metrics = metricsOptions.start(registry, () -> true);
        try {
            IngestService service = new IngestService(kafka.settings(), options, registry);
            Thread main = Thread.currentThread();
            Thread hook = new Thread(service::stop, "osprey-ingest-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            IngestSummary summary = service.run();
            Runtime.getRuntime().removeShutdownHook(hook);
            return summary.errors() == 0 || main.isInterrupted() ? 0 : 1;
        } finally {
            metrics.ifPresent(MetricsServer::close);
        }
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
