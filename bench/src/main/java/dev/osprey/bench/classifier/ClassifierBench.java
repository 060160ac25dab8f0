package dev.osprey.bench.classifier;

import dev.osprey.bench.classifier.OutputReader.Latency;
import dev.osprey.bench.classifier.OutputReader.Throughput;
import dev.osprey.bench.classifier.Scenario.App;
import dev.osprey.bench.classifier.SystemUnderTest.BatchCounters;
import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.classifier.ClassifierConfig.Guarantee;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicSpec;
import dev.osprey.trainer.publish.ModelPublisher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier's end-to-end benchmark (issue 3, item 6): images/s and end-to-end latency of the
 * real classifier against a no-model Kafka Streams passthrough, all on one embedded broker in one
 * JVM and one run.
 *
 * <p>Each run gets its own topic prefix, application id and state directory, so runs cannot see
 * each other's records, offsets or state; its topics are deleted when it ends. A throughput run
 * pre-loads its images before the app starts and measures the rate between the broker append times
 * of the first and the last prediction ({@code predictions} is created with {@code LogAppendTime});
 * a read_committed reader checks that every id came back exactly once. A latency run feeds images
 * at a fixed share of that scenario's measured maximum while the app runs, and measures from each
 * image's ingest timestamp to the moment a read_committed consumer receives its prediction.
 *
 * <p>The key scenarios run several times, interleaved (A B C D A B C D ...), so a slow spell of a
 * shared machine hits all of them alike; the table reports medians.
 */
public final class ClassifierBench {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierBench.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration LATENCY_DRAIN = Duration.ofSeconds(60);
    /** Pre-load producer linger: big batches, the pre-load is not measured. */
    private static final int PRELOAD_LINGER_MS = 20;
    /** Latency-run producer linger: part of the measured latency, so kept short. */
    private static final int PACED_LINGER_MS = 1;

    private final BenchOptions options;
    private final CpuSampler sampler = new CpuSampler();
    private final Map<App, ModelArtifact> models = new EnumMap<>(App.class);
    private final Report report;
    private ImagePayloads payloads;
    private String bootstrap;
    private Admin admin;
    private Path work;
    private int runs;

    private ClassifierBench(BenchOptions options) {
        this.options = options;
        this.report = new Report(ClassifierConfig.defaults("localhost:9092", OspreyTopics.defaults())
                .commitInterval().toMillis());
    }

    /**
     * Runs the bench and prints the tables on stdout. Exits the JVM when done: the broker's metric
     * threads would otherwise keep it alive for a while after {@code main} returns.
     */
    public static void main(String[] args) {
        BenchLogging.configure();
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage().equals("help") ? BenchOptions.USAGE : e.getMessage()
                    + System.lineSeparator() + BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        int code = 0;
        try {
            new ClassifierBench(options).run();
        } catch (Exception | Error e) {
            // An Error too: the broker's threads would keep a JVM whose main thread died alive.
            LOG.error("bench failed", e);
            code = 1;
        }
        System.exit(code);
    }

    private void run() throws Exception {
        List<Scenario> throughputPlan = throughputPlan();
        List<Scenario> latencyPlan = latencyPlan();
        Dataset test = Datasets.load(options.data(), Split.TEST);
        payloads = new ImagePayloads(test);
        Set<App> apps = Stream.concat(throughputPlan.stream(), latencyPlan.stream()).map(Scenario::app)
                .collect(Collectors.toCollection(HashSet::new));
        if (options.selects("model", "model")) {
            apps.add(App.MLP);
        }
        prepareModels(apps, test);
        LOG.info("PyTorch intra-op threads by default: {} ({} cores)", TorchThreads.engineDefault(),
                Runtime.getRuntime().availableProcessors());
        if (options.selects("model", "model")) {
            measureCeilings(test);
        }
        work = Files.createTempDirectory("osprey-classifier-bench-");
        LOG.info("{} throughput runs and {} latency runs; working in {}", throughputPlan.size(), latencyPlan.size(),
                work);
        long started = System.nanoTime();
        try (EmbeddedBroker broker = EmbeddedBroker.start(work.resolve("kafka"), 0)) {
            bootstrap = broker.bootstrapServers();
            try (Admin a = Admin.create(KafkaSettings.of(bootstrap, "").adminProperties())) {
                admin = a;
                runAll(throughputPlan, latencyPlan);
            }
        } finally {
            deleteRecursively(work);
        }
        String markdown = report.markdown();
        System.out.println();
        System.out.println(markdown);
        System.out.printf(Locale.ROOT, "(%d runs in %.0f s)%n", runs, (System.nanoTime() - started) / 1e9);
        if (options.markdownOut().isPresent()) {
            Files.writeString(options.markdownOut().get(), markdown, StandardCharsets.UTF_8);
        }
    }

    /**
     * The key scenarios first (so a partial run still has them), their latency runs next (which need
     * their measured maxima; repeated and interleaved like them), then the CNN and the sweep.
     */
    private void runAll(List<Scenario> throughputPlan, List<Scenario> latencyPlan) throws Exception {
        List<Scenario> key = throughputPlan.stream().filter(s -> s.group().equals("key")).toList();
        for (int r = 1; r <= options.repeats(); r++) {
            for (Scenario s : key) {
                runThroughput(s, r);
            }
        }
        for (int r = 1; r <= options.repeats(); r++) {
            for (Scenario s : latencyPlan) {
                OptionalDouble max = report.medianRate(s.latencyOf().orElseThrow());
                if (max.isEmpty() || !(max.getAsDouble() > 0)) {
                    LOG.warn("skipping {}: {} was not measured", s.name(), s.latencyOf().orElseThrow());
                    continue;
                }
                runLatency(s, options.latencyLoad() * max.getAsDouble());
            }
        }
        for (Scenario s : throughputPlan) {
            if (!s.group().equals("key")) {
                runThroughput(s, 1);
            }
        }
    }

    /**
     * The scenarios repeated and compared with each other: the limit; the classifier EOS, ALOS and
     * per-record with PyTorch's default intra-op threads (one per core); the same three with one
     * intra-op thread ({@code -t1}, the classifier's default since the first runs of this bench);
     * and EOS with two stream threads.
     */
    private List<Scenario> keyScenarios() {
        int n = options.images();
        Scenario eos = Scenario.throughput("mlp-eos", "key", App.MLP, Guarantee.EXACTLY_ONCE, 256, 20, n);
        Scenario alos = Scenario.throughput("mlp-alos", "key", App.MLP, Guarantee.AT_LEAST_ONCE, 256, 20, n);
        Scenario perRecord = Scenario.throughput("mlp-eos-b1", "key", App.MLP, Guarantee.EXACTLY_ONCE, 1, 20,
                options.perRecordImages());
        Scenario eosT1 = eos.withIntraOp("mlp-eos-t1", 1);
        return List.of(
                Scenario.throughput("passthrough-eos", "key", App.PASSTHROUGH, Guarantee.EXACTLY_ONCE, 1, 0, n),
                eos, alos, perRecord,
                eosT1, alos.withIntraOp("mlp-alos-t1", 1), perRecord.withIntraOp("mlp-eos-b1-t1", 1),
                // Is one stream thread the limit? Two, each with one intra-op thread, on the same 2 cores.
                eosT1.withStreamThreads("mlp-eos-t1-x2", 2));
    }

    private List<Scenario> throughputPlan() {
        List<Scenario> all = new ArrayList<>(keyScenarios());
        // The CNN is an order of magnitude slower: fewer images keep its runs under the time cap.
        int cnnImages = Math.max(1000, options.images() / 5);
        Scenario cnn = Scenario.throughput("cnn-eos", "cnn", App.CNN, Guarantee.EXACTLY_ONCE, 256, 20, cnnImages);
        all.add(cnn);
        all.add(cnn.withIntraOp("cnn-eos-t1", 1));
        all.add(Scenario.throughput("sweep-b1", "sweep", App.MLP, Guarantee.EXACTLY_ONCE, 1, 20,
                Math.min(options.sweepImages(), options.perRecordImages())));
        for (int batch : new int[] {8, 32, 128, 512}) {
            for (int delay : new int[] {5, 20, 50}) {
                all.add(Scenario.throughput("sweep-b" + batch + "-d" + delay, "sweep", App.MLP,
                        Guarantee.EXACTLY_ONCE, batch, delay, options.sweepImages()));
            }
        }
        return all.stream()
                .map(s -> s.group().equals("sweep") ? s.withIntraOp(s.name(), options.sweepIntraOp()) : s)
                .filter(s -> options.selects(s.group(), s.name())).toList();
    }

    /**
     * A latency run of each key scenario at a share of its measured maximum, and of the batched
     * classifier with one intra-op thread at a 5 ms max-delay (the default 20 ms alone nearly fills
     * a 50 ms budget: a batch waits up to max-delay plus half of it for the punctuator's tick).
     */
    private List<Scenario> latencyPlan() {
        List<Scenario> plan = new ArrayList<>();
        for (Scenario s : keyScenarios()) {
            plan.add(Scenario.latency(s));
            if (s.name().equals("mlp-eos-t1") || s.name().equals("mlp-alos-t1")) {
                plan.add(Scenario.latency(s, 5));
            }
        }
        return plan.stream().filter(s -> options.selects(s.group(), s.name())).toList();
    }

    private void prepareModels(Set<App> apps, Dataset test) throws IOException {
        Dataset train = null;
        for (App app : apps) {
            if (app == App.PASSTHROUGH) {
                continue;
            }
            Architecture arch = app == App.MLP ? Architecture.MLP : Architecture.CNN;
            int epochs = app == App.MLP ? options.mlpEpochs() : options.cnnEpochs();
            if (train == null) {
                train = Datasets.load(options.data(), Split.TRAIN);
            }
            models.put(app, BenchModels.trained(arch, epochs, train, test, options.modelCache()));
        }
    }

    /** The model path's ceilings, before the broker starts, so only other processes compete with it. */
    private void measureCeilings(Dataset test) throws IOException, InvalidArtifactException {
        Duration each = options.images() < 100_000 ? Duration.ofSeconds(2) : Duration.ofSeconds(4);
        List<ModelCeiling.Result> results = new ArrayList<>();
        for (Map.Entry<App, ModelArtifact> m : models.entrySet()) {
            for (int threads : new int[] {TorchThreads.engineDefault(), 1}) {
                TorchThreads.set(threads);
                results.addAll(ModelCeiling.classify(m.getKey().name().toLowerCase(Locale.ROOT) + ", " + threads
                        + " intra-op thread(s),", m.getValue(), test, each));
            }
        }
        TorchThreads.set(0);
        if (models.containsKey(App.MLP)) {
            results.addAll(ModelCeiling.perImage(models.get(App.MLP), payloads, each));
        }
        results.addAll(ModelCeiling.json(each));
        results.forEach(r -> LOG.info(String.format(Locale.ROOT,
                "ceiling: %s: best %,.0f/s (%.1f µs per call), median %,.0f/s", r.what(), r.perSecond(), r.micros(),
                r.medianPerSecond())));
        report.addCeilings(results);
    }

    private void runThroughput(Scenario s, int repeat) throws Exception {
        Run run = prepare(s, true);
        long t0 = System.nanoTime();
        try (ImageProducer producer = new ImageProducer(bootstrap, run.topics().images(), payloads, run.idPrefix(),
                PRELOAD_LINGER_MS)) {
            producer.preload(s.images());
        }
        LOG.info("[{}] {} run {}: pre-loaded {} images in {} ms", run.number(), s.name(), repeat, s.images(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        Throughput t;
        try (SystemUnderTest app = start(s, run);
             OutputReader reader = new OutputReader(bootstrap, run.topics(), run.idPrefix())) {
            t = reader.measureThroughput(s.images(), options.maxRun(), app, sampler);
        } finally {
            cleanUp(run);
        }
        report.add(s, t);
        LOG.info(String.format(Locale.ROOT, "[%d] %s run %d: %,.0f images/s (reader %,.0f/s)%s, %d predictions, "
                        + "%d dead letters, %d duplicates, mean batch %.1f, classify() %.0f%% of %.1f s, CPU %.2f cores "
                        + "(stream %.2f, broker %.2f, torch %.2f, gc %.2f, jit %.2f, client io %.2f, bench %.2f); "
                        + "other processes %.2f",
                run.number(), s.name(), repeat, t.appendRate(), t.receiveRate(), t.capped() ? " CAPPED" : "",
                t.predictions(), t.deadLetters(), t.duplicates(), t.batches().meanBatch(),
                100 * t.batches().inferenceNanos() / 1e9 / t.windowSeconds(), t.windowSeconds(), t.cpu().total(),
                t.cpu().stream(), t.cpu().broker(), t.cpu().nativeRest(), t.cpu().gc(), t.cpu().jit(), t.cpu().clientIo(),
                t.cpu().bench(), t.cpu().others()));
    }

    private void runLatency(Scenario s, double rate) throws Exception {
        Run run = prepare(s, false);
        Duration paced = options.latencyWarmup().plus(options.latencyRun());
        LOG.info("[{}] {}: {} images/s for {} s ({} s warm-up)", run.number(), s.name(), Math.round(rate),
                paced.toSeconds(), options.latencyWarmup().toSeconds());
        Latency latency;
        long sent;
        BatchCounters batches;
        CpuSampler.Breakdown cpu;
        try (SystemUnderTest app = start(s, run);
             OutputReader reader = new OutputReader(bootstrap, run.topics(), run.idPrefix());
             ImageProducer producer = new ImageProducer(bootstrap, run.topics().images(), payloads, run.idPrefix(),
                     PACED_LINGER_MS)) {
            AtomicLong target = new AtomicLong(Long.MAX_VALUE);
            long measureFrom = System.currentTimeMillis() + options.latencyWarmup().toMillis();
            long deadline = System.nanoTime() + paced.plus(LATENCY_DRAIN).toNanos();
            FutureTask<Latency> reading = new FutureTask<>(() -> reader.measureLatency(measureFrom, target::get,
                    deadline));
            Thread readerThread = new Thread(reading, "bench-latency-reader");
            readerThread.start();
            long warm = producer.paced(rate, options.latencyWarmup());
            BatchCounters before = app.batches();
            CpuSampler.Snapshot cpuBefore = sampler.take();
            sent = warm + producer.paced(rate, options.latencyRun(), warm);
            cpu = CpuSampler.between(cpuBefore, sampler.take());
            batches = app.batches().minus(before);
            target.set(sent);
            latency = awaitLatency(reading, readerThread);
        } finally {
            cleanUp(run);
        }
        report.add(new Report.LatencyRun(s, rate, sent, latency, batches.meanBatch(), cpu));
        LOG.info("[{}] {}: sent {}, measured {}, p50 {} ms, p99 {} ms, max {} ms, missing {}, duplicates {}, "
                        + "mean batch {}, {} s with a latency over {} ms (worst: {}), CPU {} cores, other "
                        + "processes {}", run.number(), s.name(), sent, latency.measured(), latency.p50(),
                latency.p99(), latency.max(), latency.missing(), latency.duplicates(),
                String.format(Locale.ROOT, "%.1f", batches.meanBatch()), latency.slowSeconds(), OutputReader.SLOW_MS,
                latency.worstSeconds(), String.format(Locale.ROOT, "%.2f", cpu.total()),
                String.format(Locale.ROOT, "%.2f", cpu.others()));
    }

    private static Latency awaitLatency(FutureTask<Latency> reading, Thread readerThread) throws Exception {
        try {
            return reading.get(LATENCY_DRAIN.toSeconds() + 30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            readerThread.interrupt();
            throw new IllegalStateException("the latency reader did not finish", e);
        }
    }

    /** A run's private names: topics under its own prefix, ids under its own prefix. */
    private record Run(int number, OspreyTopics topics, String idPrefix, Path stateDir) {
    }

    /** Creates the run's topics and publishes its model. */
    private Run prepare(Scenario s, boolean appendTime) {
        int n = ++runs;
        String prefix = String.format(Locale.ROOT, "r%02d-%s-", n, s.name());
        Run run = new Run(n, new OspreyTopics(prefix, options.partitions()), String.format(Locale.ROOT, "r%02d-", n),
                work.resolve("state").resolve(prefix));
        List<TopicSpec> specs = new ArrayList<>();
        for (TopicSpec spec : run.topics().all()) {
            if (appendTime && spec.name().equals(run.topics().predictions())) {
                // The broker stamps each prediction when it appends it: the rate is measured on the
                // broker's clock, independent of when the bench's reader gets around to reading.
                Map<String, String> configs = new HashMap<>(spec.configs());
                configs.put("message.timestamp.type", "LogAppendTime");
                spec = new TopicSpec(spec.name(), spec.partitions(), configs);
            }
            specs.add(spec);
        }
        TopicAdmin.ensureTopics(admin, specs, ADMIN_TIMEOUT);
        ModelArtifact model = models.get(s.app());
        if (model != null) {
            try (ModelPublisher publisher = new ModelPublisher(new KafkaSettings(bootstrap, run.topics()),
                    prefix + "publisher")) {
                publisher.publish(model, s.appText(), 0);
            }
        }
        return run;
    }

    private SystemUnderTest start(Scenario s, Run run) throws InterruptedException {
        TorchThreads.set(s.intraOp());
        ClassifierConfig config = ClassifierUnderTest.config(bootstrap, run.topics(), s, run.stateDir());
        return s.app() == App.PASSTHROUGH ? PassthroughApp.start(config) : ClassifierUnderTest.start(config);
    }

    /** Deletes the run's topics (its app's internal topics share the prefix) and its state. */
    private void cleanUp(Run run) {
        try {
            Set<String> names = admin.listTopics().names().get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(run.topics().prefix()))
                    .collect(Collectors.toSet());
            admin.deleteTopics(names).all().get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("could not delete the topics of run {}: {}", run.number(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRecursively(run.stateDir());
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("could not delete {}", p, e);
                }
            });
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
