package dev.osprey.bench.process;

import dev.osprey.bench.classifier.BenchLogging;
import dev.osprey.bench.classifier.BenchModels;
import dev.osprey.bench.classifier.ImagePayloads;
import dev.osprey.bench.classifier.ImageProducer;
import dev.osprey.bench.classifier.OutputReader;
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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Osprey measured the way users run it (issue 11, item 5), a program, not a test: the broker
 * ({@code osprey.jar broker}) and each scenario in a process of its own, every client configured
 * through {@link KafkaSettings}. Each scenario gets its own topic prefix (fresh topics, created
 * before any client touches them, {@code images} with 4 partitions) pre-loaded with the same
 * {@code --images} Fashion-MNIST images; then the scenario's process is started and a
 * read_committed reader times its outputs. A second phase feeds live images at half the measured
 * rate and takes the latency from each input's timestamp to the receipt of its output.
 *
 * <p>Scenarios: {@code passthrough} (the no-model Streams app, exactly-once), {@code python-loop}
 * (confluent-kafka + PyTorch, {@code bench/python_loop.py}), {@code osprey},
 * {@code osprey-no-pipelining} ({@code --inference-threads 0}), {@code osprey-alos},
 * {@code cnn} and {@code forward-pass} (in this JVM, no Kafka). See {@link Options#USAGE}.
 */
public final class ProcessBench {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessBench.class);
    private static final String ID_PREFIX = "img-";
    private static final String MODEL = "bench";
    private static final int START_UP_MARK = 200_000;

    /** What one scenario measured; NaN or -1 where not measured. */
    record Result(String scenario, String skipped, double rate, double firstOutputSeconds, int startUpImages,
                  double startUpRate, double cpuPerImage, int p50, int p99, String notes) {

        static Result skipped(String scenario, String reason) {
            return new Result(scenario, reason, Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN, -1, -1, "");
        }
    }

    private final Options options;
    private final Path work;
    private final List<Result> results = new ArrayList<>();
    private final Map<Architecture, ModelArtifact> models = new LinkedHashMap<>();
    private final Map<Architecture, ForwardPass.Rate> forward = new LinkedHashMap<>();
    private Dataset test;
    private ImagePayloads payloads;
    private String classifierHelp;

    private ProcessBench(Options options, Path work) {
        this.options = options;
        this.work = work;
    }

    /** Runs the bench; exits 0 when every scenario ran or was skipped with a reason, 1 on failure, 2 for bad options. */
    public static void main(String[] args) {
        BenchLogging.configure();
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + Options.USAGE);
            System.exit(2);
            return;
        }
        int code = 0;
        try {
            Path work = Files.createTempDirectory("osprey-process-bench-");
            // Also on Ctrl-C or a kill: no child outlives the bench, and no broker data stays behind.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                ChildProcess.killAll();
                deleteRecursively(work);
            }, "process-bench-cleanup"));
            new ProcessBench(options, work).run();
        } catch (Exception | Error e) {
            LOG.error("process bench failed", e);
            code = 1;
        }
        System.exit(code);
    }

    private void run() throws Exception {
        String load = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).strip();
        String machine = String.format(Locale.ROOT, "nproc %d, /proc/loadavg at start: %s",
                Runtime.getRuntime().availableProcessors(), load);
        LOG.info("{}", machine);
        test = Datasets.load(options.data(), Split.TEST);
        payloads = new ImagePayloads(test);
        classifierHelp = help();
        int port = freePort();
        String bootstrap = "127.0.0.1:" + port;
        Path brokerLog = work.resolve("broker.log");
        try (ChildProcess broker = ChildProcess.start("broker", List.of(java(), "-Xmx1g", "-jar",
                options.jar().toString(), "broker", "--port", Integer.toString(port), "--data-dir",
                work.resolve("kafka").toString()), brokerLog)) {
            awaitBroker(broker, bootstrap);
            LOG.info("broker pid {} on {}", broker.pid(), bootstrap);
            int index = 0;
            for (String scenario : options.scenarios()) {
                LOG.info("=== {} ===", scenario);
                try {
                    results.add(scenario(scenario, "pb" + index++ + "-" + scenario + "-", bootstrap, broker));
                } catch (Exception e) {
                    broker.check();
                    throw e;
                }
                LOG.info("{}", results.get(results.size() - 1));
            }
        }
        String md = markdown(machine);
        System.out.println(md);
        if (options.markdown().isPresent()) {
            Files.writeString(options.markdown().get(), md, StandardCharsets.UTF_8);
        }
    }

    private Result scenario(String name, String prefix, String bootstrap, ChildProcess broker) throws Exception {
        switch (name) {
            case "forward-pass" -> {
                return forwardPass();
            }
            case "python-loop" -> {
                Optional<String> missing = pythonMissing();
                if (missing.isPresent()) {
                    return Result.skipped(name, missing.get());
                }
                return kafkaScenario(name, prefix, bootstrap, broker, Optional.empty(), List.of("/usr/bin/python3",
                        options.pythonScript().toString(), bootstrap, prefix),
                        "random weights of the MLP's shape (784-400-200-100-10)");
            }
            case "passthrough" -> {
                return kafkaScenario(name, prefix, bootstrap, broker, Optional.empty(), List.of(java(),
                        "-Xmx" + options.heap(), "-cp", System.getProperty("java.class.path"),
                        "dev.osprey.bench.classifier.PassthroughApp", bootstrap, prefix,
                        work.resolve(prefix + "state").toString()), "exactly-once, no model");
            }
            case "osprey", "osprey-no-pipelining", "osprey-alos", "cnn" -> {
                List<String> flags = new ArrayList<>(switch (name) {
                    case "osprey-no-pipelining" -> List.of("--inference-threads", "0");
                    case "osprey-alos" -> List.of("--guarantee", "at_least_once", "--max-delay", "5");
                    default -> List.<String>of();
                });
                flags.addAll(options.ospreyArgs());
                Optional<String> unknown = unknownFlag(flags);
                if (unknown.isPresent()) {
                    return Result.skipped(name, "the jar's classifier has no " + unknown.get() + " flag");
                }
                Architecture architecture = name.equals("cnn") ? Architecture.CNN : Architecture.MLP;
                List<String> command = new ArrayList<>(List.of(java(), "-Xmx" + options.heap(),
                        "-Dai.djl.offline=true", "-jar", options.jar().toString(), "classifier",
                        "--bootstrap-servers", bootstrap, "--topic-prefix", prefix, "--state-dir",
                        work.resolve(prefix + "state").toString(), "--metrics-port", "0"));
                command.addAll(flags);
                String notes = architecture.id() + (flags.isEmpty() ? "" : " " + String.join(" ", flags));
                if (name.equals("cnn")) {
                    ForwardPass.Rate bare = forward(Architecture.CNN);
                    notes += String.format(Locale.ROOT, "; bare CNN forward pass %,.0f images/s",
                            bare.imagesPerSecond());
                }
                return kafkaScenario(name, prefix, bootstrap, broker, Optional.of(model(architecture)), command,
                        notes);
            }
            default -> throw new IllegalArgumentException("unknown scenario " + name);
        }
    }

    private Result forwardPass() throws Exception {
        List<String> notes = new ArrayList<>();
        ForwardPass.Rate mlp = forward(Architecture.MLP);
        if (options.scenarios().contains("cnn")) {
            ForwardPass.Rate cnn = forward(Architecture.CNN);
            notes.add(String.format(Locale.ROOT, "CNN: %,.0f images/s, %.1f µs CPU/image",
                    cnn.imagesPerSecond(), cnn.cpuSecondsPerImage() * 1e6));
        }
        notes.add("MLP, batch " + ForwardPass.BATCH + ", in the bench JVM, no Kafka, no broker CPU");
        return new Result("forward-pass", "", mlp.imagesPerSecond(), Double.NaN, 0, Double.NaN,
                mlp.cpuSecondsPerImage(), -1, -1, String.join("; ", notes));
    }

    private ForwardPass.Rate forward(Architecture architecture) throws Exception {
        if (!forward.containsKey(architecture)) {
            LOG.info("timing the bare {} forward pass for {} s", architecture.id(),
                    options.forwardDuration().toSeconds());
            forward.put(architecture, ForwardPass.measure(model(architecture), test, options.forwardDuration()));
        }
        return forward.get(architecture);
    }

    private ModelArtifact model(Architecture architecture) throws IOException {
        if (!models.containsKey(architecture)) {
            Dataset train = Datasets.load(options.data(), Split.TRAIN).head(architecture == Architecture.CNN
                    ? 2_000 : 5_000);
            models.put(architecture, BenchModels.trained(architecture, 1, train, test.head(2_000),
                    options.modelCache()));
        }
        return models.get(architecture);
    }

    /**
     * Pre-loads the images on fresh topics, starts {@code command} and times its outputs, then
     * measures latency at half the measured rate.
     */
    private Result kafkaScenario(String name, String prefix, String bootstrap, ChildProcess broker,
                                 Optional<ModelArtifact> model, List<String> command, String notes)
            throws Exception {
        KafkaSettings settings = KafkaSettings.of(bootstrap, prefix);
        TopicAdmin.ensureTopics(settings);
        OspreyTopics topics = settings.topics();
        if (model.isPresent()) {
            try (ModelPublisher publisher = new ModelPublisher(settings, prefix + "publisher")) {
                publisher.publish(model.get(), MODEL, 0);
            }
        }
        int n = options.images();
        LOG.info("pre-loading {} images on {}", n, topics.images());
        try (ImageProducer producer = new ImageProducer(bootstrap, topics.images(), payloads, ID_PREFIX, 20)) {
            producer.preload(n);
        }
        try (OutputReader reader = new OutputReader(bootstrap, topics, ID_PREFIX);
             ChildProcess child = ChildProcess.start(name, command, work.resolve(prefix + "log"))) {
            LOG.info("{} pid {}: {}", name, child.pid(), String.join(" ", command)
                    .replace(System.getProperty("java.class.path"), "<the bench's classpath>"));
            Throughput t = throughput(reader, child, broker, n);
            if (t.capped()) {
                return new Result(name, "", t.rate(), t.firstOutputSeconds(), t.startUpImages(), t.startUpRate(),
                        t.cpuPerImage(), -1, -1, notes + "; CAPPED: " + reader.received() + " of " + n
                        + " outputs in " + options.cap().toSeconds() + " s");
            }
            OutputReader.Latency latency = latency(reader, child, bootstrap, topics, n, t.rate() / 2);
            String checks = reader.duplicates() == 0 && reader.foreign() == 0 ? ""
                    : "; " + reader.duplicates() + " duplicates, " + reader.foreign() + " foreign";
            return new Result(name, "", t.rate(), t.firstOutputSeconds(), t.startUpImages(), t.startUpRate(),
                    t.cpuPerImage(), latency.p50(), latency.p99(), String.format(Locale.ROOT,
                    "%s; 90%% of the steady rate %s s after the first output; latency at %.0f images/s over %d "
                    + "outputs, %d missing%s", notes, num(t.warmSeconds(), "%.1f"), t.rate() / 2,
                    latency.measured(), latency.missing(), checks));
        }
    }

    /** The throughput phase's figures. */
    private record Throughput(double rate, double firstOutputSeconds, int startUpImages, double startUpRate,
                              double cpuPerImage, boolean capped, double warmSeconds) {
    }

    /**
     * Warm start: seconds from the first output to the start of the first one-second window whose
     * output rate is at least 90% of {@code steady}; NaN if none.
     */
    static double secondsTo90Percent(long[] nanos, long[] counts, int samples, double steady) {
        if (samples == 0 || !(steady > 0)) {
            return Double.NaN;
        }
        int j = 0;
        for (int i = 0; i < samples; i++) {
            while (j < samples && nanos[j] - nanos[i] < 1_000_000_000L) {
                j++;
            }
            if (j == samples) {
                break;
            }
            double rate = (counts[j] - counts[i]) / ((nanos[j] - nanos[i]) / 1e9);
            if (rate >= 0.9 * steady) {
                return (nanos[i] - nanos[0]) / 1e9;
            }
        }
        return Double.NaN;
    }

    private Throughput throughput(OutputReader reader, ChildProcess child, ChildProcess broker, int n) {
        long low = Math.max(1, Math.round(n * 0.05));
        long high = Math.max(low + 1, Math.round(n * 0.95));
        int startUpImages = Math.min(START_UP_MARK, n);
        long deadline = child.startNanos() + options.cap().toNanos();
        long first = 0;
        long lowAt = 0;
        long highAt = 0;
        long startUpAt = 0;
        double cpuLow = 0;
        double cpuHigh = 0;
        long lastCheck = 0;
        long[] sampleNanos = new long[1 << 16];
        long[] sampleCounts = new long[1 << 16];
        int samples = 0;
        while (reader.received() < n && System.nanoTime() < deadline) {
            int got = reader.pollOnce(Duration.ofMillis(50));
            long now = System.nanoTime();
            long received = reader.received();
            if (received > 0 && samples < sampleNanos.length) {
                sampleNanos[samples] = now;
                sampleCounts[samples++] = received;
            }
            if (got > 0 && first == 0) {
                first = now;
                LOG.info("{}: first output after {} s", child.name(), fmt((now - child.startNanos()) / 1e9));
            }
            if (lowAt == 0 && received >= low) {
                lowAt = now;
                cpuLow = child.cpuSeconds() + broker.cpuSeconds();
            }
            if (highAt == 0 && received >= high) {
                highAt = now;
                cpuHigh = child.cpuSeconds() + broker.cpuSeconds();
            }
            if (startUpAt == 0 && received >= startUpImages) {
                startUpAt = now;
            }
            if (now - lastCheck > TimeUnit.SECONDS.toNanos(10)) {
                child.check();
                broker.check();
                LOG.info("{}: {} of {} outputs", child.name(), received, n);
                lastCheck = now;
            }
        }
        double rate = highAt > 0 ? (high - low) / ((highAt - lowAt) / 1e9) : Double.NaN;
        double cpu = highAt > 0 ? (cpuHigh - cpuLow) / (high - low) : Double.NaN;
        return new Throughput(rate, first == 0 ? Double.NaN : (first - child.startNanos()) / 1e9, startUpImages,
                startUpAt == 0 ? Double.NaN : startUpImages / ((startUpAt - child.startNanos()) / 1e9), cpu,
                reader.received() < n, secondsTo90Percent(sampleNanos, sampleCounts, samples, rate));
    }

    private OutputReader.Latency latency(OutputReader reader, ChildProcess child, String bootstrap,
                                         OspreyTopics topics, int n, double rate) throws Exception {
        Duration length = options.latencyDuration();
        LOG.info("{}: latency at {} images/s for {} s", child.name(), Math.round(rate), length.toSeconds());
        AtomicLong target = new AtomicLong(Long.MAX_VALUE);
        AtomicReference<Exception> failure = new AtomicReference<>();
        long measureFrom = System.currentTimeMillis() + Math.min(3_000, length.toMillis() / 4);
        try (ImageProducer producer = new ImageProducer(bootstrap, topics.images(), payloads, ID_PREFIX, 1)) {
            Thread feeding = new Thread(() -> {
                try {
                    target.set(n + producer.paced(rate, length, n));
                } catch (RuntimeException e) {
                    failure.set(e);
                    target.set(0);
                }
            }, "bench-latency-producer");
            feeding.start();
            long deadline = System.nanoTime() + length.toNanos() + TimeUnit.SECONDS.toNanos(60);
            OutputReader.Latency latency = reader.measureLatency(measureFrom, target::get, deadline);
            feeding.join(TimeUnit.SECONDS.toMillis(30));
            if (failure.get() != null) {
                throw failure.get();
            }
            child.check();
            return latency;
        }
    }

    private String markdown(String machine) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Process bench: %,d images per scenario, each part in its own process; "
                + "%s.%n%n", options.images(), machine));
        b.append("| scenario | images/s (5–95%) | first output (s) | images/s incl. start-up | CPU µs/image "
                + "(scenario + broker) | p50 ms | p99 ms | notes |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Result r : results) {
            if (!r.skipped().isEmpty()) {
                b.append("| ").append(r.scenario()).append(" | skipped | | | | | | ").append(r.skipped())
                        .append(" |\n");
                continue;
            }
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", r.scenario(),
                    num(r.rate(), "%,.0f"), num(r.firstOutputSeconds(), "%.1f"),
                    Double.isNaN(r.startUpRate()) ? "" : String.format(Locale.ROOT, "%,.0f (%,d)", r.startUpRate(),
                            r.startUpImages()), num(r.cpuPerImage() * 1e6, "%.1f"),
                    r.p50() < 0 ? "" : Integer.toString(r.p50()), r.p99() < 0 ? "" : Integer.toString(r.p99()),
                    r.notes()));
        }
        b.append("\nImages/s: read_committed outputs between the 5% and 95% marks. Start-up rate: the first "
                + "min(200k, N) outputs over the time from launching the scenario's process (images pre-loaded). "
                + "CPU: utime+stime of the scenario's process and the broker's between the same marks. Latency: "
                + "output receipt minus the input's timestamp, live images at half the measured rate.\n");
        efficiency().ifPresent(e -> b.append('\n').append(e).append('\n'));
        return b.toString();
    }

    /** Osprey's CPU per image over (passthrough's per record + the bare forward pass's per image). */
    private Optional<String> efficiency() {
        Optional<Result> osprey = measured("osprey");
        Optional<Result> passthrough = measured("passthrough");
        ForwardPass.Rate bare = forward.get(Architecture.MLP);
        if (osprey.isEmpty() || passthrough.isEmpty() || bare == null) {
            return Optional.empty();
        }
        double parts = passthrough.get().cpuPerImage() + bare.cpuSecondsPerImage();
        return Optional.of(String.format(Locale.ROOT, "Efficiency: osprey %.1f µs CPU/image ÷ (passthrough %.1f + "
                        + "bare forward pass %.1f) = %.2f (1.00: no cost beyond Streams and the model).",
                osprey.get().cpuPerImage() * 1e6, passthrough.get().cpuPerImage() * 1e6,
                bare.cpuSecondsPerImage() * 1e6, osprey.get().cpuPerImage() / parts));
    }

    private Optional<Result> measured(String scenario) {
        return results.stream().filter(r -> r.scenario().equals(scenario) && r.skipped().isEmpty()
                && !Double.isNaN(r.cpuPerImage())).findFirst();
    }

    private static String num(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private Optional<String> pythonMissing() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of("/usr/bin/python3"))) {
            return Optional.of("no /usr/bin/python3");
        }
        if (!Files.isRegularFile(options.pythonScript())) {
            return Optional.of("no " + options.pythonScript());
        }
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, confluent_kafka")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return Optional.of("importing torch and confluent_kafka took over 60 s");
        }
        return p.exitValue() == 0 ? Optional.empty()
                : Optional.of("python3-torch or python3-confluent-kafka missing: "
                        + out.lines().reduce((a, c) -> c).orElse(""));
    }

    /** The first {@code --flag} of {@code flags} the jar's {@code classifier --help} does not list. */
    private Optional<String> unknownFlag(List<String> flags) {
        return flags.stream().filter(f -> f.startsWith("--")).map(f -> f.split("=", 2)[0])
                .filter(f -> !classifierHelp.contains(f + "=") && !classifierHelp.contains(f + " ")
                        && !classifierHelp.contains(f + "\n"))
                .findFirst();
    }

    private String help() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java(), "-jar", options.jar().toString(), "classifier", "--help")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(options.jar() + " classifier --help failed:\n" + out);
        }
        return out;
    }

    private static void awaitBroker(ChildProcess broker, String bootstrap) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        KafkaSettings settings = KafkaSettings.of(bootstrap, "");
        String[] hostPort = bootstrap.split(":");
        while (true) {
            broker.check();
            // The port first, so the admin client does not log a warning per refused connection.
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 1_000);
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker did not open its port within 2 minutes; its log "
                            + "ends:\n" + broker.logTail(30), e);
                }
                TimeUnit.MILLISECONDS.sleep(500); // the broker starts in seconds; retried until the deadline
                continue;
            }
            try {
                TopicAdmin.requireBroker(settings);
                return;
            } catch (KafkaException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker did not answer within 2 minutes; its log ends:\n"
                            + broker.logTail(30), e);
                }
                TimeUnit.MILLISECONDS.sleep(500); // the broker starts in seconds; retried until the deadline
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    /** The options; see {@link #USAGE}. */
    record Options(int images, List<String> scenarios, Optional<Path> markdown, Path jar, Path data,
                   Path pythonScript, String heap, Optional<Path> modelCache, List<String> ospreyArgs,
                   Duration cap, Duration latencyDuration, Duration forwardDuration) {

        static final List<String> ALL = List.of("passthrough", "python-loop", "osprey", "osprey-no-pipelining",
                "osprey-alos", "cnn", "forward-pass");
        static final List<String> QUICK = List.of("passthrough", "osprey", "forward-pass");

        static final String USAGE = """
                usage: ProcessBench [--quick] [--images N] [--scenarios a,b,c] [--markdown FILE] [--jar osprey.jar]
                                    [--data DIR] [--python-script FILE] [--heap 2g] [--model-cache DIR]
                                    [--osprey-arg ARG]... [--cap-seconds S] [--latency-seconds S]
                  --images         images per scenario (default 1000000; --quick 200000)
                  --scenarios      any of %s
                                   (default all; --quick: %s)
                  --osprey-arg     one more argument for every osprey classifier (repeatable), e.g.
                                   --osprey-arg --inference-threads --osprey-arg 2
                  --cap-seconds    longest a scenario's throughput phase may run (default 900)
                  --latency-seconds  length of the latency phase (default 30; --quick 10)
                """.formatted(String.join(",", ALL), String.join(",", QUICK));

        static Options parse(String[] args) {
            boolean quick = List.of(args).contains("--quick");
            int images = quick ? 200_000 : 1_000_000;
            List<String> scenarios = quick ? QUICK : ALL;
            Path markdown = null;
            Path jar = Path.of("app/target/osprey.jar");
            Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
            Path script = Path.of("bench/python_loop.py");
            String heap = "2g";
            Path cache = null;
            List<String> extra = new ArrayList<>();
            int cap = 900;
            int latency = quick ? 10 : 30;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--quick")) {
                    continue;
                }
                if (flag.equals("--help") || flag.equals("-h")) {
                    throw new IllegalArgumentException("ProcessBench: Osprey with every part in its own process");
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = args[++i];
                try {
                    switch (flag) {
                        case "--images" -> images = Integer.parseInt(value);
                        case "--scenarios" -> scenarios = Arrays.stream(value.split(",")).map(String::strip)
                                .filter(s -> !s.isEmpty()).toList();
                        case "--markdown" -> markdown = Path.of(value);
                        case "--jar" -> jar = Path.of(value);
                        case "--data" -> data = Path.of(value);
                        case "--python-script" -> script = Path.of(value);
                        case "--heap" -> heap = value;
                        case "--model-cache" -> cache = Path.of(value);
                        case "--osprey-arg" -> extra.add(value);
                        case "--cap-seconds" -> cap = Integer.parseInt(value);
                        case "--latency-seconds" -> latency = Integer.parseInt(value);
                        default -> throw new IllegalArgumentException("unknown option " + flag);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(flag + " needs a number, not '" + value + "'");
                }
            }
            for (String s : scenarios) {
                if (!ALL.contains(s)) {
                    throw new IllegalArgumentException("unknown scenario '" + s + "'");
                }
            }
            if (images < 1_000 || images > 50_000_000 || scenarios.isEmpty() || cap < 10 || latency < 4) {
                throw new IllegalArgumentException("bad options: 1000 <= images <= 50000000, at least one scenario, "
                        + "cap-seconds >= 10, latency-seconds >= 4");
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException(jar + " is missing: build it with "
                        + "mvn -B -ntp -o -q -pl app -am package -DskipTests");
            }
            return new Options(images, scenarios, Optional.ofNullable(markdown), jar.toAbsolutePath(), data,
                    script.toAbsolutePath(), heap, Optional.ofNullable(cache), List.copyOf(extra),
                    Duration.ofSeconds(cap), Duration.ofSeconds(latency), Duration.ofSeconds(quick ? 6 : 15));
        }
    }
}
