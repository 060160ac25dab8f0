package dev.osprey.bench.ingest;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetException;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicSpec;
import dev.osprey.ingest.IngestException;
import dev.osprey.ingest.IngestOptions;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.IngestSummary;
import dev.osprey.ingest.ProgressDisplay;
import dev.osprey.ingest.source.DatasetSource;
import dev.osprey.ingest.source.SourceImage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest throughput against Kafka's own (issue 5, item 5): publishing N dataset images with
 * {@link IngestService} versus a plain {@link KafkaProducer} that sends the same keys, bytes and
 * headers with the same producer settings, on one embedded broker in this JVM.
 *
 * <p>The plain producer gets every record prepared before its clock starts (values, headers and
 * keys in arrays), so it measures what Kafka takes; {@code IngestService} is measured as it runs in
 * production: its own reading of the dataset and its topic check come before its clock starts
 * (its summary times the first send to the last acknowledgement), and making ids, copying pixels
 * and building headers per record are inside. Both clocks include the first metadata fetch and end
 * when every record is acknowledged ({@code flush}).
 *
 * <p>After a warm-up of each, the two alternate for several rounds (A B, B A, A B, ...: a slow
 * spell of the shared machine hits both alike), each round into fresh topics that are deleted
 * after it; the medians and their ratio are reported.
 *
 * <pre>
 * usage: IngestBench [--data DIR] [--split train|test] [--count N] [--warmup N] [--rounds R]
 *                    [--markdown FILE]
 * </pre>
 */
public final class IngestBench {

    private static final Logger LOG = LoggerFactory.getLogger(IngestBench.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(60);
    /** The same bound {@code IngestService} uses for a send waiting on metadata. */
    private static final Duration MAX_BLOCK = Duration.ofSeconds(30);

    private final Options options;
    private final Dataset dataset;
    private final byte[][] values;
    private final Header[][] headers;
    private final String bootstrap;
    private final Admin admin;

    /**
     * What one round measured.
     *
     * @param elapsed wall-clock time from the first send to the last acknowledgement
     * @param cpu     CPU time of the whole process (broker included) over the same window: on a
     *                shared machine it varies far less than the wall clock
     */
    record Round(String side, int round, long images, long errors, Duration elapsed, Duration cpu) {
        double rate() {
            return images / (elapsed.toNanos() / 1e9);
        }

        double perCpuSecond() {
            return images / (cpu.toNanos() / 1e9);
        }
    }

    /** Reads the process's CPU time and the wall clock at the start and end of a timed window. */
    private static final class Window implements ProgressDisplay {
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private long startCpu;
        private long cpu;

        void begin() {
            startCpu = OS.getProcessCpuTime();
        }

        void end() {
            cpu = OS.getProcessCpuTime() - startCpu;
        }

        Duration cpu() {
            return Duration.ofNanos(cpu);
        }

        // IngestService's display is told exactly when its timed window starts and ends.
        @Override
        public void start(long total, LongSupplier published) {
            begin();
        }

        @Override
        public void finish(IngestSummary summary) {
            end();
        }
    }

    private IngestBench(Options options, Dataset dataset, String bootstrap, Admin admin) {
        this.options = options;
        this.dataset = dataset;
        this.bootstrap = bootstrap;
        this.admin = admin;
        // Exactly the records ingest makes: built by the class ingest uses.
        DatasetSource source = new DatasetSource(dataset, options.split(), false);
        this.values = new byte[dataset.size()][];
        this.headers = new Header[dataset.size()][];
        for (int i = 0; i < dataset.size(); i++) {
            SourceImage image = source.image(i);
            values[i] = image.value();
            headers[i] = image.headers();
        }
    }

    public static void main(String[] args) throws Exception {
        quietLogging();
        Options options = Options.parse(args);
        LOG.info("loading {} ({})", options.data(), options.split().id());
        Dataset dataset = Datasets.load(options.data(), options.split());
        Path work = Files.createTempDirectory("osprey-ingest-bench");
        try (EmbeddedBroker broker = EmbeddedBroker.start(work.resolve("kafka"), 0);
             Admin admin = Admin.create(adminProperties(broker.bootstrapServers()))) {
            // Other work on a shared machine moves the wall clock most: the report says how busy it was.
            double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            List<Round> rounds = new IngestBench(options, dataset, broker.bootstrapServers(), admin).run();
            double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            String report = report(options, dataset, rounds, loadBefore, loadAfter);
            System.out.println(report);
            if (options.markdown().isPresent()) {
                Files.writeString(options.markdown().get(), report, StandardCharsets.UTF_8);
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private List<Round> run() throws Exception {
        LOG.info("warm-up: {} images each", options.warmup());
        ingest(0, options.warmup());
        plain(0, options.warmup());
        List<Round> rounds = new ArrayList<>();
        for (int r = 1; r <= options.rounds(); r++) {
            // A B, then B A: neither side always runs first.
            boolean ingestFirst = r % 2 == 1;
            rounds.add(ingestFirst ? ingest(r, options.count()) : plain(r, options.count()));
            rounds.add(ingestFirst ? plain(r, options.count()) : ingest(r, options.count()));
        }
        return rounds;
    }

    private Round ingest(int round, long count) throws IngestException, InterruptedException {
        String prefix = "ingest-r" + round + "-";
        KafkaSettings settings = KafkaSettings.of(bootstrap, prefix);
        IngestOptions o = IngestOptions.builder(options.data().toString()).split(options.split()).count(count)
                .loop(true).idPrefix("r" + round + "/").build();
        settle();
        Window window = new Window();
        IngestSummary summary = new IngestService(settings, o, new SimpleMeterRegistry(), window).run();
        Round result = new Round("IngestService", round, summary.published(), summary.errors(), summary.elapsed(),
                window.cpu());
        log(result);
        deleteTopics(settings);
        return result;
    }

    private Round plain(int round, long count) throws Exception {
        String prefix = "plain-r" + round + "-";
        KafkaSettings settings = KafkaSettings.of(bootstrap, prefix);
        String topic = settings.topics().images();
        TopicSpec spec = settings.topics().all().stream().filter(t -> t.name().equals(topic)).findFirst()
                .orElseThrow();
        TopicAdmin.ensureTopics(admin, List.of(spec), ADMIN_TIMEOUT);
        String[] keys = keys("r" + round + "/", count);
        Properties props = settings.producerProperties();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "osprey-bench-plain");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(MAX_BLOCK.toMillis()));
        AtomicLong acked = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Callback callback = (md, e) -> (e == null ? acked : errors).incrementAndGet();
        int n = values.length;
        settle();
        Window window = new Window();
        Duration elapsed;
        try (KafkaProducer<String, byte[]> producer =
                     new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            window.begin();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                int index = i % n;
                producer.send(new ProducerRecord<>(topic, null, keys[i], values[index],
                        new RecordHeaders(headers[index])), callback);
            }
            producer.flush();
            elapsed = Duration.ofNanos(System.nanoTime() - start);
            window.end();
        }
        Round result = new Round("plain KafkaProducer", round, acked.get(), errors.get(), elapsed, window.cpu());
        log(result);
        deleteTopics(settings);
        return result;
    }

    /** The ids ingest gives the same images: {@code <prefix>train-00042}, then {@code -p1}, {@code -p2}... */
    private String[] keys(String prefix, long count) {
        String[] keys = new String[Math.toIntExact(count)];
        int n = values.length;
        for (int i = 0; i < keys.length; i++) {
            int pass = i / n;
            String stem = String.format(Locale.ROOT, "%s%s-%05d", prefix, options.split().id(), i % n);
            keys[i] = pass == 0 ? stem : stem + "-p" + pass;
        }
        return keys;
    }

    /** Collects the previous round's garbage now, not during the next measurement. */
    private static void settle() throws InterruptedException {
        System.gc();
        TimeUnit.MILLISECONDS.sleep(500); // lets the broker finish deleting the last round's logs
    }

    private void deleteTopics(KafkaSettings settings) throws InterruptedException {
        List<String> names = settings.topics().all().stream().map(TopicSpec::name).toList();
        try {
            Stream<String> existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .stream().filter(names::contains);
            admin.deleteTopics(existing.toList()).all().get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Only disk space is at stake: the next round writes to topics of its own.
            LOG.warn("could not delete the topics under {}: {}", settings.topicPrefix(), e.toString());
        }
    }

    private static void log(Round r) {
        LOG.info(String.format(Locale.ROOT, "round %d %-20s %,9d images in %6.2f s = %,9.0f images/s, "
                        + "%,9.0f per CPU-second%s", r.round(), r.side(), r.images(), r.elapsed().toNanos() / 1e9,
                r.rate(), r.perCpuSecond(), r.errors() == 0 ? "" : "  (" + r.errors() + " errors)"));
    }

    static String report(Options options, Dataset dataset, List<Round> rounds, double loadBefore, double loadAfter) {
        List<Round> ingest = rounds.stream().filter(r -> r.side().equals("IngestService")).toList();
        List<Round> plain = rounds.stream().filter(r -> !r.side().equals("IngestService")).toList();
        double ingestMedian = median(ingest, Round::rate);
        double plainMedian = median(plain, Round::rate);
        double ingestCpu = median(ingest, Round::perCpuSecond);
        double plainCpu = median(plain, Round::perCpuSecond);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%s: %,d images of %dx%dx%d (%d value bytes), %,d per round, "
                        + "%d rounds each after a %,d-image warm-up; %d CPUs, Java %s, %s; load average %.1f "
                        + "before, %.1f after%n%n", dataset.name(),
                dataset.size(), dataset.width(), dataset.height(), dataset.channels(),
                dataset.imageBytes(), options.count(), options.rounds(), options.warmup(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), loadBefore, loadAfter));
        md.append("| round | IngestService images/s | plain KafkaProducer images/s | ratio "
                + "| IngestService images/CPU-s | plain images/CPU-s | ratio |\n");
        md.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (int i = 0; i < Math.min(ingest.size(), plain.size()); i++) {
            Round a = ingest.get(i);
            Round b = plain.get(i);
            md.append(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.2f | %,.0f | %,.0f | %.2f |%n", a.round(),
                    a.rate(), b.rate(), a.rate() / b.rate(), a.perCpuSecond(), b.perCpuSecond(),
                    a.perCpuSecond() / b.perCpuSecond()));
        }
        md.append(String.format(Locale.ROOT, "| **median** | **%,.0f** | **%,.0f** | **%.2f** | **%,.0f** | **%,.0f** "
                + "| **%.2f** |%n", ingestMedian, plainMedian, ingestMedian / plainMedian, ingestCpu, plainCpu,
                ingestCpu / plainCpu));
        // The two sides of a round ran back to back, so their ratio cancels most of a load swing.
        md.append(String.format(Locale.ROOT, "%nIngestService / plain producer: %.2f (ratio of the medians), %.2f "
                        + "(median of the per-round ratios); per CPU-second: %.2f, %.2f%n",
                ingestMedian / plainMedian, medianRatio(ingest, plain, Round::rate), ingestCpu / plainCpu,
                medianRatio(ingest, plain, Round::perCpuSecond)));
        long errors = rounds.stream().mapToLong(Round::errors).sum();
        if (errors > 0) {
            md.append(String.format(Locale.ROOT, "%n%d records were not acknowledged: the numbers are not valid.%n",
                    errors));
        }
        return md.toString();
    }

    private static double median(List<Round> rounds, ToDoubleFunction<Round> metric) {
        return median(rounds.stream().mapToDouble(metric).toArray());
    }

    private static double medianRatio(List<Round> a, List<Round> b, ToDoubleFunction<Round> metric) {
        int n = Math.min(a.size(), b.size());
        double[] ratios = new double[n];
        for (int i = 0; i < n; i++) {
            ratios[i] = metric.applyAsDouble(a.get(i)) / metric.applyAsDouble(b.get(i));
        }
        return median(ratios);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static Properties adminProperties(String bootstrap) {
        return KafkaSettings.of(bootstrap, "").adminProperties(ADMIN_TIMEOUT);
    }

    /**
     * Progress to stderr and the report alone on stdout. Without this, with no logback.xml on the
     * bench's classpath, every logger would print at DEBUG to stdout, and the broker's and clients'
     * lines would cost CPU in the very process being measured.
     */
    private static void quietLogging() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(ctx);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(stderr);
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        ctx.getLogger("state.change.logger").setLevel(Level.ERROR);
        ctx.getLogger("dev.osprey.bench").setLevel(Level.INFO);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * The bench's options.
     *
     * @param data     an MNIST-format directory (default: {@code OSPREY_DATA}, else Debian's Fashion-MNIST)
     * @param split    which split to publish (default: train, 60,000 images)
     * @param count    images per measured round
     * @param warmup   images in the unmeasured first round of each side
     * @param rounds   measured rounds of each side
     * @param markdown also write the report to this file
     */
    record Options(Path data, Split split, long count, long warmup, int rounds, Optional<Path> markdown) {

        static Options parse(String[] args) throws DatasetException {
            Path data = DatasetLocator.resolve(null, System.getenv());
            Split split = Split.TRAIN;
            long count = 200_000;
            long warmup = 200_000;
            int rounds = 5;
            Path markdown = null;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--help") || flag.equals("-h")) {
                    throw new IllegalArgumentException("usage: IngestBench [--data DIR] [--split train|test] "
                            + "[--count N] [--warmup N] [--rounds R] [--markdown FILE]");
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = args[++i];
                switch (flag) {
                    case "--data" -> data = Path.of(value);
                    case "--split" -> split = value.equals("test") ? Split.TEST : Split.TRAIN;
                    case "--count" -> count = Long.parseLong(value);
                    case "--warmup" -> warmup = Long.parseLong(value);
                    case "--rounds" -> rounds = Integer.parseInt(value);
                    case "--markdown" -> markdown = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            }
            if (count < 1 || count > Integer.MAX_VALUE || warmup < 1 || rounds < 1) {
                throw new IllegalArgumentException("--count and --warmup must be in [1, 2^31), --rounds >= 1");
            }
            if (!Files.exists(data)) {
                throw DatasetException.missing(data);
            }
            return new Options(data, split, count, warmup, rounds, Optional.ofNullable(markdown));
        }
    }
}
