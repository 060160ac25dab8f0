package dev.osprey.app;

import dev.osprey.classifier.ClassifierApp;
import dev.osprey.core.model.ModelManifest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The classifier service's console status line, read from its own meters at an interval:
 * predictions per second, mean latency, dead letters, serving model.
 */
final class ClassifierStatus implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "osprey-status");
        t.setDaemon(true);
        return t;
    });
    private final MeterRegistry registry;
    private final ClassifierApp app;
    private final PrintStream out;
    private double lastCount;
    private long lastNanos = System.nanoTime();

    ClassifierStatus(MeterRegistry registry, ClassifierApp app, PrintStream out) {
        this.registry = registry;
        this.app = app;
        this.out = out;
    }

    void start(Duration interval) {
        timer.scheduleAtFixedRate(this::print, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void print() {
        double count = registry.find("osprey.classifier.predictions").counters().stream()
                .mapToDouble(Counter::count).sum();
        double dead = registry.find("osprey.classifier.dead.letters").counters().stream()
                .mapToDouble(Counter::count).sum();
        Timer latency = registry.find("osprey.classifier.latency").timer();
        long now = System.nanoTime();
        double rate = (count - lastCount) / ((now - lastNanos) / 1e9);
        lastCount = count;
        lastNanos = now;
        out.printf(Locale.ROOT, "classifier: %,.0f predictions (%,.0f/s)  latency mean %.0f ms  max %.0f ms  "
                        + "dead letters %,.0f  model %s%n", count, rate,
                latency == null ? 0.0 : latency.mean(TimeUnit.MILLISECONDS),
                latency == null ? 0.0 : latency.max(TimeUnit.MILLISECONDS), dead,
                app.serving().map(ModelManifest::tag).orElse("none"));
        out.flush();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
