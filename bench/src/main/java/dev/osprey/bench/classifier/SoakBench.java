package dev.osprey.bench.classifier;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.publish.ModelPublisher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier soak (issue 10, item 7), a program, not a test: one classifier in its own JVM
 * ({@link SoakClassifier}, {@code -Xmx1g}) on an embedded broker, fed Fashion-MNIST images at half
 * its measured maximum rate (or {@code --rate}) for {@code --minutes}, with a new model version
 * published every {@code --swap-every} seconds. Every {@code --sample-every} seconds it records the
 * classifier's RSS ({@code VmRSS} of its {@code /proc/<pid>/status}), heap and direct memory in use,
 * its native memory (NMT, {@code jcmd VM.native_memory}; skipped where jcmd is missing) and its
 * consumer lag on {@code images}; it prints the table and a verdict, and exits 1 when the verdict
 * fails: RSS at the end more than {@code --max-rss-growth} above its value at {@code --baseline}
 * seconds (one minute by default), or a lag that grew to more than five seconds of input.
 *
 * <p>{@code --quick} is the CI variant: about a minute, a swap every 15 s, a sample every 5 s, the
 * baseline at 20 s and 25% RSS tolerance, so that only a clear leak fails it on a shared machine.
 */
public final class SoakBench {

    private static final Logger LOG = LoggerFactory.getLogger(SoakBench.class);
    private static final String MODEL = "soak";
    private static final Pattern MEMORY = Pattern.compile("memory heap=(-?\\d+) direct=(-?\\d+) failed=(\\w+)");
    private static final Pattern NMT_TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
    private static final Pattern NMT_HEAP = Pattern.compile("Java Heap \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final long MIB = 1024 * 1024;

    /** One sample of the classifier process; {@code nativeBytes} is -1 without NMT. */
    record Sample(long seconds, long rssBytes, long heapBytes, long directBytes, long nativeBytes, long lag,
                  int swaps) {
    }

    /** The options; see {@link #USAGE}. */
    record Options(double minutes, Optional<Double> rate, int swapEverySeconds, int sampleEverySeconds,
                   int baselineSeconds, double maxRssGrowth, int probeImages, String heap, Path data,
                   Optional<Path> markdown) {
    }

    static final String USAGE = """
            usage: SoakBench [--quick] [--minutes M] [--rate IMAGES/S] [--swap-every S] [--sample-every S]
                             [--baseline S] [--max-rss-growth F] [--probe-images N] [--heap 1g] [--data DIR]
                             [--markdown FILE]
              --minutes         how long the paced phase runs (default 10)
              --rate            images/s (default: half the rate measured on --probe-images images)
              --swap-every      seconds between new model versions (default 30)
              --sample-every    seconds between samples (default 10)
              --baseline        the sample RSS is compared against (default 60 s)
              --max-rss-growth  allowed RSS growth after the baseline, as a fraction (default 0.10)
              --quick           1 minute, swap every 15 s, sample every 5 s, baseline 20 s, growth 0.25,
                                5000 probe images
            """;

    private final Options options;

    private SoakBench(Options options) {
        this.options = options;
    }

    /** Runs the soak; exits 0 when the verdict passes, 1 when it fails, 2 for bad options. */
    public static void main(String[] args) {
        BenchLogging.configure();
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + USAGE);
            System.exit(2);
            return;
        }
        int code;
        try {
            code = new SoakBench(options).run() ? 0 : 1;
        } catch (Exception | Error e) {
            LOG.error("soak failed", e);
            code = 1;
        }
        System.exit(code);
    }

    static Options parse(String[] args) {
        boolean quick = List.of(args).contains("--quick");
        double minutes = quick ? 1 : 10;
        Double rate = null;
        int swap = quick ? 15 : 30;
        int sample = quick ? 5 : 10;
        int baseline = quick ? 20 : 60;
        double growth = quick ? 0.25 : 0.10;
        int probe = quick ? 5_000 : 20_000;
        String heap = "1g";
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        Path markdown = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--quick")) {
                continue;
            }
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new IllegalArgumentException("SoakBench: the classifier soak");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[++i];
            try {
                switch (flag) {
                    case "--minutes" -> minutes = Double.parseDouble(value);
                    case "--rate" -> rate = Double.parseDouble(value);
                    case "--swap-every" -> swap = Integer.parseInt(value);
                    case "--sample-every" -> sample = Integer.parseInt(value);
                    case "--baseline" -> baseline = Integer.parseInt(value);
                    case "--max-rss-growth" -> growth = Double.parseDouble(value);
                    case "--probe-images" -> probe = Integer.parseInt(value);
                    case "--heap" -> heap = value;
                    case "--data" -> data = Path.of(value);
                    case "--markdown" -> markdown = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a number, not '" + value + "'");
            }
        }
        if (!(minutes > 0) || swap < 1 || sample < 1 || baseline < sample || probe < 100
                || (rate != null && !(rate > 0)) || baseline >= minutes * 60) {
            throw new IllegalArgumentException("bad options: minutes > 0, rate > 0, swap-every and sample-every "
                    + ">= 1, sample-every <= baseline < the run, probe-images >= 100");
        }
        return new Options(minutes, Optional.ofNullable(rate), swap, sample, baseline, growth, probe, heap, data,
                Optional.ofNullable(markdown));
    }

    private boolean run() throws Exception {
        Dataset test = Datasets.load(options.data(), Split.TEST);
        Dataset train = Datasets.load(options.data(), Split.TRAIN).head(5_000);
        // A real, briefly trained MLP: the swaps load and check a real model each time.
        ModelArtifact model = BenchModels.trained(Architecture.MLP, 1, train, test, Optional.empty());
        ImagePayloads payloads = new ImagePayloads(test);
        Path work = Files.createTempDirectory("osprey-soak-");
        try (EmbeddedBroker broker = EmbeddedBroker.start(work.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "soak-");
            TopicAdmin.ensureTopics(settings);
            OspreyTopics topics = settings.topics();
            String group = ClassifierConfig.defaults(broker.bootstrapServers(), topics).applicationId();
            try (ModelPublisher publisher = new ModelPublisher(settings, "soak-publisher");
                 Admin admin = Admin.create(settings.adminProperties())) {
                publisher.publish(model, MODEL, 0);
                try (Child child = Child.start(broker.bootstrapServers(), topics.prefix(), work.resolve("state"),
                        options.heap())) {
                    return soak(settings, admin, group, publisher, model, payloads, child);
                }
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private boolean soak(KafkaSettings settings, Admin admin, String group, ModelPublisher publisher,
                         ModelArtifact model, ImagePayloads payloads, Child child) throws Exception {
        String images = settings.topics().images();
        double rate;
        long next = 0;
        try (ImageProducer producer = new ImageProducer(settings.bootstrapServers(), images, payloads, "soak-", 5)) {
            if (options.rate().isPresent()) {
                rate = options.rate().get();
            } else {
                long t0 = System.nanoTime();
                producer.preload(options.probeImages());
                next = options.probeImages();
                while (lag(admin, group, images) > 0) {
                    child.check();
                    TimeUnit.MILLISECONDS.sleep(200); // polling the group's offsets, bounded by the loop below
                    if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(5)) {
                        throw new IllegalStateException("the probe images were not classified within 5 minutes");
                    }
                }
                double max = options.probeImages() / ((System.nanoTime() - t0) / 1e9);
                rate = max / 2;
                LOG.info("measured maximum about {} images/s; soaking at {}/s",
                        Math.round(max), Math.round(rate));
            }
            Duration length = Duration.ofMillis((long) (options.minutes() * 60_000));
            long first = next;
            AtomicReference<Exception> producerFailure = new AtomicReference<>();
            Thread feeding = new Thread(() -> {
                try {
                    producer.paced(rate, length, first);
                } catch (RuntimeException e) {
                    producerFailure.set(e);
                }
            }, "soak-producer");
            long start = System.nanoTime();
            feeding.start();
            List<Sample> samples = new ArrayList<>();
            int swaps = 0;
            long nextSwap = options.swapEverySeconds();
            long nextSample = options.sampleEverySeconds();
            long end = (long) (options.minutes() * 60);
            while (true) {
                long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                child.check();
                if (elapsed >= nextSwap && nextSwap < end) {
                    publisher.publish(model, MODEL, 0);
                    swaps++;
                    nextSwap += options.swapEverySeconds();
                }
                if (elapsed >= nextSample) {
                    Sample s = child.sample(elapsed, lag(admin, group, images), swaps);
                    samples.add(s);
                    LOG.info("{}", format(s));
                    nextSample += options.sampleEverySeconds();
                    if (nextSample > end) {
                        break;
                    }
                }
                TimeUnit.MILLISECONDS.sleep(100); // the loop's tick: swaps and samples are due on the second
            }
            feeding.join(TimeUnit.MINUTES.toMillis(1));
            if (producerFailure.get() != null) {
                throw producerFailure.get();
            }
            return report(samples, rate, swaps);
        }
    }

    private boolean report(List<Sample> samples, double rate, int swaps) throws IOException {
        Sample baseline = samples.stream().filter(s -> s.seconds() >= options.baselineSeconds()).findFirst()
                .orElseThrow();
        Sample last = samples.get(samples.size() - 1);
        double growth = (double) last.rssBytes() / baseline.rssBytes() - 1;
        long maxRss = samples.stream().mapToLong(Sample::rssBytes).max().orElseThrow();
        long lagBound = Math.max(1_000, Math.round(5 * rate));
        boolean rssOk = growth <= options.maxRssGrowth();
        boolean lagOk = last.lag() <= lagBound || last.lag() <= baseline.lag();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Soak: %.1f min at %.0f images/s, %d model swaps (one every %d s), "
                        + "classifier heap %s.%n%n", options.minutes(), rate, swaps, options.swapEverySeconds(),
                options.heap()));
        md.append("| t (s) | RSS (MiB) | heap used (MiB) | direct (MiB) | native, NMT committed less heap (MiB) | lag | swaps |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Sample s : samples) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.1f | %s | %d | %d |%n", s.seconds(),
                    s.rssBytes() / (double) MIB, s.heapBytes() / (double) MIB, s.directBytes() / (double) MIB,
                    s.nativeBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", s.nativeBytes() / (double) MIB),
                    s.lag(), s.swaps()));
        }
        md.append(String.format(Locale.ROOT, "%nVerdict: RSS %.0f MiB at %d s, %.0f MiB at the end (%+.1f%%, limit "
                        + "%+.0f%%; peak %.0f MiB): %s. Lag at the end %d (limit %d, or no more than at %d s): %s.%n",
                baseline.rssBytes() / (double) MIB, baseline.seconds(), last.rssBytes() / (double) MIB, 100 * growth,
                100 * options.maxRssGrowth(), maxRss / (double) MIB, rssOk ? "PASS" : "FAIL", last.lag(), lagBound,
                baseline.seconds(), lagOk ? "PASS" : "FAIL"));
        System.out.println();
        System.out.println(md);
        if (options.markdown().isPresent()) {
            Files.writeString(options.markdown().get(), md, StandardCharsets.UTF_8);
        }
        return rssOk && lagOk;
    }

    private static String format(Sample s) {
        return String.format(Locale.ROOT, "t=%ds rss=%dMiB heap=%dMiB direct=%dMiB native=%s lag=%d swaps=%d",
                s.seconds(), s.rssBytes() / MIB, s.heapBytes() / MIB, s.directBytes() / MIB,
                s.nativeBytes() < 0 ? "n/a" : (s.nativeBytes() / MIB) + "MiB", s.lag(), s.swaps());
    }

    /** Records on {@code images} the classifier's group has not committed yet. */
    private static long lag(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        List<TopicPartition> parts = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(parts.stream()
                .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all().get(30, TimeUnit.SECONDS);
        long lag = 0;
        for (TopicPartition p : parts) {
            OffsetAndMetadata c = committed.get(p);
            lag += ends.get(p).offset() - (c == null ? 0 : c.offset());
        }
        return lag;
    }

    /** The classifier's JVM: started from this JVM's classpath, with NMT on. */
    private static final class Child implements AutoCloseable {

        private final Process process;
        private final AtomicReference<long[]> memory = new AtomicReference<>();
        private final AtomicReference<String> failed = new AtomicReference<>();
        private final Path jcmd;

        private Child(Process process) {
            this.process = process;
            this.jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        }

        static Child start(String bootstrap, String prefix, Path stateDir, String heap) throws Exception {
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + heap, "-XX:NativeMemoryTracking=summary", "-Dai.djl.offline=true",
                    "-cp", System.getProperty("java.class.path"), SoakClassifier.class.getName(),
                    bootstrap, prefix, stateDir.toString());
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
            Child child = new Child(pb.start());
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = new Thread(() -> child.read(ready), "soak-classifier-output");
            reader.setDaemon(true);
            reader.start();
            if (!ready.await(3, TimeUnit.MINUTES)) {
                child.close();
                throw new IllegalStateException("the soak classifier did not start within 3 minutes");
            }
            LOG.info("soak classifier running as pid {}", child.process.pid());
            return child;
        }

        private void read(CountDownLatch ready) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.equals("ready")) {
                        ready.countDown();
                    }
                    Matcher m = MEMORY.matcher(line);
                    if (m.matches()) {
                        memory.set(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
                        if (m.group(3).equals("true")) {
                            failed.set("the classifier reports a failure (see its log above)");
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended; check() says so
            }
        }

        void check() {
            if (!process.isAlive()) {
                throw new IllegalStateException("the soak classifier exited with " + process.exitValue());
            }
            if (failed.get() != null) {
                throw new IllegalStateException(failed.get());
            }
        }

        Sample sample(long seconds, long lag, int swaps) throws IOException, InterruptedException {
            long[] m = memory.get();
            return new Sample(seconds, rss(), m == null ? -1 : m[0], m == null ? -1 : m[1], nativeCommitted(), lag,
                    swaps);
        }

        private long rss() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            throw new IOException("no VmRSS in /proc/" + process.pid() + "/status");
        }

        /** NMT's committed total less the Java heap, or -1 where jcmd is missing or does not answer. */
        private long nativeCommitted() throws InterruptedException {
            if (!Files.isExecutable(jcmd)) {
                return -1;
            }
            try {
                Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()),
                        "VM.native_memory", "summary").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return -1;
                }
                // Native memory is what NMT sees committed outside the Java heap (the heap has its own column).
                Matcher total = NMT_TOTAL.matcher(out);
                Matcher heap = NMT_HEAP.matcher(out);
                if (!total.find() || !heap.find()) {
                    return -1;
                }
                return (Long.parseLong(total.group(2)) - Long.parseLong(heap.group(2))) * 1024;
            } catch (IOException e) {
                return -1;
            }
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close(); // SoakClassifier stops at the end of its input
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
