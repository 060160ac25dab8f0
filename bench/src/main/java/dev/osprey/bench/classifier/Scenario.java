package dev.osprey.bench.classifier;

import dev.osprey.classifier.ClassifierConfig.Guarantee;
import dev.osprey.classifier.batch.BatchSettings;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * One thing the bench measures.
 *
 * @param name       unique, stable name (also the start of the run's topic prefix)
 * @param group      {@code key}, {@code sweep}, {@code cnn} or {@code latency}
 * @param app        what processes the images
 * @param guarantee  Kafka Streams processing guarantee
 * @param batch      micro-batching limits (ignored by the passthrough)
 * @param images     images pre-loaded for a throughput run
 * @param intraOp    PyTorch intra-op threads of the stream thread's forward passes; 0 for PyTorch's
 *                   default (one per core), the classifier's default before it chose 1
 * @param threads    Kafka Streams stream threads (the classifier's {@code --threads}), each with its own
 *                   predictor
 * @param latencyOf  for a latency run: the throughput scenario whose median rate sets the input rate
 */
record Scenario(String name, String group, App app, Guarantee guarantee, BatchSettings batch, int images,
                int intraOp, int threads, Optional<String> latencyOf) {

    /** What runs between {@code images} and {@code predictions}. */
    enum App {
        /** A Kafka Streams app that forwards each record unchanged: the limit. */
        PASSTHROUGH,
        /** The classifier serving the trained MLP. */
        MLP,
        /** The classifier serving the trained CNN. */
        CNN
    }

    static Scenario throughput(String name, String group, App app, Guarantee guarantee, int maxBatch,
                               long maxDelayMs, int images) {
        return new Scenario(name, group, app, guarantee, new BatchSettings(maxBatch, Duration.ofMillis(maxDelayMs)),
                images, 0, 1, Optional.empty());
    }

    /** The same scenario with {@code threads} PyTorch intra-op threads. */
    Scenario withIntraOp(String newName, int intraOpThreads) {
        return new Scenario(newName, group, app, guarantee, batch, images, intraOpThreads, threads, latencyOf);
    }

    /** The same scenario with {@code count} stream threads. */
    Scenario withStreamThreads(String newName, int count) {
        return new Scenario(newName, group, app, guarantee, batch, images, intraOp, count, latencyOf);
    }

    /** A latency run of {@code of}: same app and settings, fed at a fixed rate while it runs. */
    static Scenario latency(Scenario of) {
        return new Scenario("lat-" + of.name(), "latency", of.app(), of.guarantee(), of.batch(), 0, of.intraOp(),
                of.threads(), Optional.of(of.name()));
    }

    /** A latency run of {@code of}'s app at {@code of}'s rate, but with a shorter max-delay. */
    static Scenario latency(Scenario of, long maxDelayMs) {
        return new Scenario("lat-" + of.name() + "-d" + maxDelayMs, "latency", of.app(), of.guarantee(),
                new BatchSettings(of.batch().maxBatch(), Duration.ofMillis(maxDelayMs)), 0, of.intraOp(), of.threads(),
                Optional.of(of.name()));
    }

    boolean isLatency() {
        return latencyOf.isPresent();
    }

    String guaranteeText() {
        return guarantee == Guarantee.EXACTLY_ONCE ? "EOS" : "ALOS";
    }

    String batchText() {
        return app == App.PASSTHROUGH ? "-" : Integer.toString(batch.maxBatch());
    }

    String delayText() {
        return app == App.PASSTHROUGH ? "-" : batch.maxDelay().toMillis() + " ms";
    }

    /** Intra-op threads, and the stream threads when more than one. */
    String intraOpText() {
        String intra = app == App.PASSTHROUGH ? "-"
                : intraOp == 0 ? "PyTorch's (" + TorchThreads.engineDefault() + ")" : Integer.toString(intraOp);
        return threads == 1 ? intra : intra + " (" + threads + " stream threads)";
    }

    String appText() {
        return app.name().toLowerCase(Locale.ROOT);
    }
}
