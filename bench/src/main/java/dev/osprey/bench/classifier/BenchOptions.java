package dev.osprey.bench.classifier;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of {@link ClassifierBench}, validated once.
 *
 * @param images          images per run of the key scenarios (passthrough, MLP EOS and ALOS, CNN)
 * @param perRecordImages images per run of the per-record scenario ({@code max-batch 1} is slow)
 * @param sweepImages     images per point of the max-batch x max-delay sweep
 * @param repeats         runs of each key scenario, interleaved; the table reports medians
 * @param selection       scenario groups ({@code model key sweep cnn latency}) or single scenario names
 * @param maxRun          a throughput run stops reading after this long and reports what it saw
 * @param latencyRun      measured part of a latency run
 * @param latencyWarmup   produced before the measured part of a latency run, then discarded
 * @param latencyLoad     a latency run's input rate as a share of the scenario's measured maximum
 * @param partitions      partitions of each scenario's {@code images} (and {@code predictions}) topic
 * @param data            the Fashion-MNIST directory (IDX files)
 * @param modelCache      where trained models are kept between bench runs; empty trains every time
 * @param mlpEpochs       training epochs of the MLP
 * @param cnnEpochs       training epochs of the CNN
 * @param markdownOut     also write the final tables to this file
 * @param sweepIntraOp    PyTorch intra-op threads of the sweep runs (0: PyTorch's default, one per core)
 */
record BenchOptions(int images, int perRecordImages, int sweepImages, int repeats, Set<String> selection,
                    Duration maxRun, Duration latencyRun, Duration latencyWarmup, double latencyLoad, int partitions,
                    Path data, Optional<Path> modelCache, int mlpEpochs, int cnnEpochs, Optional<Path> markdownOut,
                    int sweepIntraOp) {

    static final Set<String> GROUPS = Set.of("model", "key", "sweep", "cnn", "latency");

    static final String USAGE = String.join(System.lineSeparator(),
            "usage: ClassifierBench [--quick] [options]",
            "  --quick                 model ceilings, key scenarios, two latency runs; 60k images, 1 run each",
            "                          (about 3 minutes on 2 cores, model training not included)",
            "  --scenarios LIST        comma-separated groups (model,key,sweep,cnn,latency; default: all)",
            "                          or scenario names (e.g. passthrough-eos,mlp-eos)",
            "  --images N              images per key-scenario run (default 300000)",
            "  --per-record-images N   images per max-batch-1 run (default images/10)",
            "  --sweep-images N        images per sweep point (default images/3)",
            "  --repeats N             interleaved runs of each key scenario (default 3)",
            "  --max-run-seconds S     stop a throughput run after S s (default 90)",
            "  --latency-seconds S     measured part of a latency run (default 20)",
            "  --warmup-seconds S      discarded start of a latency run (default 5)",
            "  --latency-load F        latency-run rate as a share of the measured maximum (default 0.5)",
            "  --partitions N          partitions of the images topic (default 4, Osprey's default)",
            "  --data DIR              Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)",
            "  --model-cache DIR       reuse trained models from DIR (default: train every time)",
            "  --mlp-epochs N          (default 2)   --cnn-epochs N   (default 1)",
            "  --markdown FILE         also write the result tables to FILE",
            "  --sweep-intra-op N      PyTorch intra-op threads of the sweep runs (default 1; 0 is PyTorch's",
            "                          default, one per core; key and CNN scenarios run both)");

    BenchOptions {
        if (images < 1000 || perRecordImages < 1000 || sweepImages < 1000) {
            throw new IllegalArgumentException("image counts must be at least 1000");
        }
        if (repeats < 1 || partitions < 1 || mlpEpochs < 1 || cnnEpochs < 1) {
            throw new IllegalArgumentException("--repeats, --partitions and epochs must be positive");
        }
        if (sweepIntraOp < 0 || sweepIntraOp > 256) {
            throw new IllegalArgumentException("--sweep-intra-op must be in [0, 256]: " + sweepIntraOp);
        }
        if (!(latencyLoad > 0 && latencyLoad <= 1.5)) {
            throw new IllegalArgumentException("--latency-load must be in (0, 1.5]: " + latencyLoad);
        }
        if (maxRun.toSeconds() < 5 || latencyRun.toSeconds() < 2 || latencyWarmup.isNegative()) {
            throw new IllegalArgumentException("--max-run-seconds >= 5, --latency-seconds >= 2, --warmup-seconds >= 0");
        }
        selection = Set.copyOf(selection);
    }

    /** Parses the command line; throws {@link IllegalArgumentException} with a one-line reason. */
    static BenchOptions parse(String[] args) {
        boolean quick = List.of(args).contains("--quick");
        int images = quick ? 60_000 : 300_000;
        Integer perRecord = null;
        Integer sweep = null;
        int repeats = quick ? 1 : 3;
        Set<String> selection = new LinkedHashSet<>(quick
                ? List.of("model", "key", "lat-mlp-eos-t1", "lat-mlp-alos-t1-d5") : GROUPS);
        long maxRun = quick ? 30 : 90;
        long latency = quick ? 6 : 20;
        long warmup = quick ? 3 : 5;
        double load = 0.5;
        int partitions = 4;
        Path data = Path.of("/usr/share/datasets/fashion-mnist");
        Path cache = null;
        int mlpEpochs = 2;
        int cnnEpochs = 1;
        Path markdown = null;
        int sweepIntraOp = 1;
        List<String> rest = new ArrayList<>(List.of(args));
        rest.remove("--quick");
        for (int i = 0; i < rest.size(); i++) {
            String flag = rest.get(i);
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new IllegalArgumentException("help");
            }
            if (i + 1 >= rest.size()) {
                throw new IllegalArgumentException(flag + " needs a value (or is unknown)");
            }
            String value = rest.get(++i);
            switch (flag) {
                case "--scenarios" -> selection = new LinkedHashSet<>(List.of(
                        value.toLowerCase(Locale.ROOT).split("\\s*,\\s*")));
                case "--images" -> images = integer(flag, value);
                case "--per-record-images" -> perRecord = integer(flag, value);
                case "--sweep-images" -> sweep = integer(flag, value);
                case "--repeats" -> repeats = integer(flag, value);
                case "--max-run-seconds" -> maxRun = integer(flag, value);
                case "--latency-seconds" -> latency = integer(flag, value);
                case "--warmup-seconds" -> warmup = integer(flag, value);
                case "--latency-load" -> load = decimal(flag, value);
                case "--partitions" -> partitions = integer(flag, value);
                case "--data" -> data = Path.of(value);
                case "--model-cache" -> cache = Path.of(value);
                case "--mlp-epochs" -> mlpEpochs = integer(flag, value);
                case "--cnn-epochs" -> cnnEpochs = integer(flag, value);
                case "--markdown" -> markdown = Path.of(value);
                case "--sweep-intra-op" -> sweepIntraOp = integer(flag, value);
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        return new BenchOptions(images, perRecord != null ? perRecord : Math.max(1000, images / 10),
                sweep != null ? sweep : Math.max(1000, images / 3), repeats, selection, Duration.ofSeconds(maxRun),
                Duration.ofSeconds(latency), Duration.ofSeconds(warmup), load, partitions, data,
                Optional.ofNullable(cache), mlpEpochs, cnnEpochs, Optional.ofNullable(markdown), sweepIntraOp);
    }

    /** Whether a scenario of {@code group} named {@code name} was asked for. */
    boolean selects(String group, String name) {
        return selection.contains(group) || selection.contains(name);
    }

    private static int integer(String flag, String value) {
        try {
            return Integer.parseInt(value.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes a whole number, not '" + value + "'");
        }
    }

    private static double decimal(String flag, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes a number, not '" + value + "'");
        }
    }
}
