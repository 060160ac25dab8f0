package dev.osprey.bench.classifier;

import dev.osprey.bench.classifier.OutputReader.Latency;
import dev.osprey.bench.classifier.OutputReader.Throughput;
import dev.osprey.classifier.ClassifierConfig.Guarantee;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;

/**
 * Collects the runs and renders them as markdown: a throughput table (medians of the repeated
 * runs), a latency table, and the targets, each met or missed.
 */
final class Report {

    /** Issue 3's targets. */
    static final double TARGET_RATIO_TO_PASSTHROUGH = 0.80;
    static final double TARGET_BATCH_SPEEDUP = 5.0;
    static final double TARGET_EOS_MLP_RATE = 45_000;
    static final int TARGET_ALOS_P99_MS = 50;
    static final int TARGET_EOS_P99_OVER_COMMIT_MS = 100;

    /** One latency run. */
    record LatencyRun(Scenario scenario, double rate, long sent, Latency latency, double meanBatch,
                      CpuSampler.Breakdown cpu) {
    }

    private final Map<String, Scenario> scenarios = new LinkedHashMap<>();
    private final Map<String, List<Throughput>> throughput = new LinkedHashMap<>();
    private final List<LatencyRun> latency = new ArrayList<>();
    private final List<ModelCeiling.Result> ceilings = new ArrayList<>();
    private final long commitIntervalMs;

    Report(long commitIntervalMs) {
        this.commitIntervalMs = commitIntervalMs;
    }

    void add(Scenario s, Throughput t) {
        scenarios.putIfAbsent(s.name(), s);
        throughput.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(t);
    }

    void add(LatencyRun run) {
        latency.add(run);
    }

    void addCeilings(List<ModelCeiling.Result> results) {
        ceilings.addAll(results);
    }

    /** Median images/s of a throughput scenario, if it ran. */
    OptionalDouble medianRate(String name) {
        List<Throughput> runs = throughput.get(name);
        return runs == null ? OptionalDouble.empty() : OptionalDouble.of(median(runs, Throughput::appendRate));
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        if (!ceilings.isEmpty()) {
            b.append(ModelCeiling.markdown(ceilings)).append('\n');
        }
        throughputTable(b);
        if (!latency.isEmpty()) {
            b.append('\n');
            latencyTable(b);
        }
        b.append('\n');
        targets(b);
        return b.toString();
    }

    private void throughputTable(StringBuilder b) {
        double limit = medianRate("passthrough-eos").orElse(Double.NaN);
        b.append("| scenario | guarantee | max-batch | max-delay | intra-op | runs | images/s (median) | runs' images/s "
                + "| vs passthrough EOS | images per CPU-second of this JVM (median) | mean batch | in classify() | CPU cores, this JVM: total / stream "
                + "thread / broker / torch workers / GC / JIT / client I/O | other processes' cores | checks |\n");
        b.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |\n");
        for (Map.Entry<String, List<Throughput>> e : throughput.entrySet()) {
            Scenario s = scenarios.get(e.getKey());
            List<Throughput> runs = e.getValue();
            double rate = median(runs, Throughput::appendRate);
            Throughput mid = closestTo(runs, rate);
            double inferenceShare = mid.batches().batches() == 0 ? Double.NaN
                    : mid.batches().inferenceNanos() / 1e9 / mid.windowSeconds();
            b.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %d | **%,.0f** | %s | %s | %,.0f | %s | %s | %s | %.2f | %s |%n",
                    s.name(), s.guaranteeText(), s.batchText(), s.delayText(), s.intraOpText(), runs.size(), rate, rates(runs),
                    Double.isNaN(limit) ? "-" : String.format(Locale.ROOT, "%.2f×", rate / limit),
                    median(runs, t -> t.cpu().total() > 0 ? t.appendRate() / t.cpu().total() : Double.NaN),
                    Double.isNaN(mid.batches().meanBatch()) ? "-"
                            : String.format(Locale.ROOT, "%.0f", mid.batches().meanBatch()),
                    Double.isNaN(inferenceShare) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * inferenceShare),
                    cpu(mid.cpu()), mid.cpu().others(), checks(runs)));
        }
    }

    private void latencyTable(StringBuilder b) {
        b.append("| scenario | guarantee | max-batch | intra-op | runs | input images/s | measured | p50 ms "
                + "(median) | p99 ms (median) | runs' p99 ms | max ms | runs' seconds with a latency > 200 ms | mean batch "
                + "| CPU cores, this JVM | other processes' cores | target p99 | checks |\n");
        b.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: "
                + "| ---: | --- |\n");
        for (Map.Entry<String, List<LatencyRun>> e : latencyByScenario().entrySet()) {
            List<LatencyRun> runs = e.getValue();
            Scenario s = runs.get(0).scenario();
            long missing = runs.stream().mapToLong(r -> r.latency().missing()).sum();
            long dups = runs.stream().mapToLong(r -> r.latency().duplicates()).sum();
            b.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %d | %,.0f | %,d | %.0f | **%.0f** | %s | %d | %s | %.0f | %.2f | %.2f "
                            + "| %s | %s |%n",
                    s.name(), s.guaranteeText(), s.batchText(), s.intraOpText(), runs.size(),
                    medianOf(runs, LatencyRun::rate), runs.stream().mapToLong(r -> r.latency().measured()).sum(),
                    medianOf(runs, r -> r.latency().p50()), medianOf(runs, r -> r.latency().p99()),
                    String.join(", ", runs.stream().map(r -> Integer.toString(r.latency().p99())).toList()),
                    runs.stream().mapToInt(r -> r.latency().max()).max().orElse(-1),
                    String.join(", ", runs.stream().map(r -> Integer.toString(r.latency().slowSeconds())).toList()),
                    medianOf(runs, LatencyRun::meanBatch), medianOf(runs, r -> r.cpu().total()),
                    medianOf(runs, r -> r.cpu().others()),
                    targetP99(s).map(t -> "≤ " + t + " ms").orElse("-"),
                    missing == 0 && dups == 0 ? "ok" : "missing " + missing + ", duplicates " + dups));
        }
    }

    private Map<String, List<LatencyRun>> latencyByScenario() {
        Map<String, List<LatencyRun>> by = new LinkedHashMap<>();
        for (LatencyRun r : latency) {
            by.computeIfAbsent(r.scenario().name(), k -> new ArrayList<>()).add(r);
        }
        return by;
    }

    private static double medianOf(List<LatencyRun> runs, ToDoubleFunction<LatencyRun> f) {
        double[] v = runs.stream().mapToDouble(f).toArray();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private Optional<Integer> targetP99(Scenario s) {
        if (s.app() == Scenario.App.PASSTHROUGH || s.batch().maxBatch() == 1) {
            return Optional.empty();
        }
        return Optional.of(s.guarantee() == Guarantee.EXACTLY_ONCE
                ? (int) commitIntervalMs + TARGET_EOS_P99_OVER_COMMIT_MS : TARGET_ALOS_P99_MS);
    }

    private void targets(StringBuilder b) {
        OptionalDouble pass = medianRate("passthrough-eos");
        b.append("| target | measured | |\n| --- | --- | --- |\n");
        for (String suffix : List.of("", "-t1")) {
            String name = "mlp-eos" + suffix;
            OptionalDouble mlp = medianRate(name);
            OptionalDouble perRecord = medianRate("mlp-eos-b1" + suffix);
            if (mlp.isEmpty()) {
                continue;
            }
            if (pass.isPresent()) {
                double ratio = mlp.getAsDouble() / pass.getAsDouble();
                row(b, name + " ≥ 80% of passthrough-eos", String.format(Locale.ROOT, "%.0f%% (%,.0f / %,.0f)",
                        100 * ratio, mlp.getAsDouble(), pass.getAsDouble()), ratio >= TARGET_RATIO_TO_PASSTHROUGH);
            }
            if (perRecord.isPresent()) {
                double speedup = mlp.getAsDouble() / perRecord.getAsDouble();
                row(b, name + " (micro-batched) ≥ 5× mlp-eos-b1" + suffix + " (per-record)", String.format(Locale.ROOT,
                        "%.2f× (%,.0f / %,.0f)", speedup, mlp.getAsDouble(), perRecord.getAsDouble()),
                        speedup >= TARGET_BATCH_SPEEDUP);
            }
            row(b, name + " ≥ 45,000 images/s (commit interval " + commitIntervalMs + " ms)",
                    String.format(Locale.ROOT, "%,.0f images/s", mlp.getAsDouble()),
                    mlp.getAsDouble() >= TARGET_EOS_MLP_RATE);
        }
        for (List<LatencyRun> runs : latencyByScenario().values()) {
            Scenario s = runs.get(0).scenario();
            double p99 = medianOf(runs, r -> r.latency().p99());
            double p50 = medianOf(runs, r -> r.latency().p50());
            boolean complete = runs.stream().allMatch(r -> r.latency().missing() == 0 && r.latency().p99() >= 0);
            targetP99(s).ifPresent(t -> row(b, s.name() + " median p99 at " + String.format(Locale.ROOT, "%,.0f",
                    medianOf(runs, LatencyRun::rate)) + " images/s ≤ " + t + " ms",
                    String.format(Locale.ROOT, "%.0f ms (p50 %.0f ms; %d runs)", p99, p50, runs.size()),
                    complete && p99 <= t));
        }
    }

    private static void row(StringBuilder b, String target, String measured, boolean met) {
        b.append("| ").append(target).append(" | ").append(measured).append(" | ")
                .append(met ? "**met**" : "**missed**").append(" |\n");
    }

    private static String rates(List<Throughput> runs) {
        return String.join(", ", runs.stream()
                .map(t -> String.format(Locale.ROOT, "%,.0f%s", t.appendRate(), t.capped() ? "*" : "")).toList());
    }

    private static String cpu(CpuSampler.Breakdown c) {
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f / %.2f / %.2f / %.2f / %.2f", c.total(), c.stream(),
                c.broker(), c.nativeRest(), c.gc(), c.jit(), c.clientIo());
    }

    /** Every id back exactly once, and whether a run hit its time cap. */
    private static String checks(List<Throughput> runs) {
        long dups = runs.stream().mapToLong(Throughput::duplicates).sum();
        long dlq = runs.stream().mapToLong(Throughput::deadLetters).sum();
        long capped = runs.stream().filter(Throughput::capped).count();
        List<String> notes = new ArrayList<>();
        if (dups > 0) {
            notes.add(dups + " duplicates");
        }
        if (dlq > 0) {
            notes.add(dlq + " dead letters");
        }
        if (capped > 0) {
            notes.add(capped + " run(s) capped by time (*)");
        }
        return notes.isEmpty() ? "all ids once" : String.join(", ", notes);
    }

    static double median(List<Throughput> runs, ToDoubleFunction<Throughput> f) {
        double[] v = runs.stream().mapToDouble(f).toArray();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static Throughput closestTo(List<Throughput> runs, double rate) {
        Throughput best = runs.get(0);
        for (Throughput t : runs) {
            if (Math.abs(t.appendRate() - rate) < Math.abs(best.appendRate() - rate)) {
                best = t;
            }
        }
        return best;
    }
}
