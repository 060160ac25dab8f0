package dev.osprey.trainer;

import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.live.LiveAccuracy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer's meters. Tags are bounded: feedback kind, model name and version, trigger, outcome.
 */
public final class TrainerMetrics {

    private final MeterRegistry registry;
    private final Map<FeedbackKind, Counter> received = new EnumMap<>(FeedbackKind.class);
    private final Map<String, EpochGauges> epochs = new ConcurrentHashMap<>();
    private final Map<String, Counter> runs = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();

    public TrainerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (FeedbackKind kind : FeedbackKind.values()) {
            received.put(kind, Counter.builder("osprey.trainer.feedback.received")
                    .description("well-formed feedback records read, by kind")
                    .tag("kind", kind.id())
                    .register(registry));
        }
    }

    public void feedbackReceived(FeedbackKind kind) {
        received.get(kind).increment();
    }

    /** Registers the live-accuracy gauge of one model version; it reads {@code live} when scraped. */
    public void liveAccuracy(LiveAccuracy live, String model, int version) {
        Gauge.builder("osprey.trainer.live.accuracy", live, l -> l.accuracy(model, version).orElse(Double.NaN))
                .description("accuracy of a model version on its most recent predictions that got feedback")
                .tag("model", model)
                .tag("version", Integer.toString(version))
                .register(registry);
    }

    /** The last epoch of a run of {@code model}: its training loss and validation accuracy. */
    public void epoch(String model, double loss, double accuracy) {
        EpochGauges g = epochs.computeIfAbsent(model, m -> new EpochGauges(registry, m));
        g.loss.set(Double.doubleToLongBits(loss));
        g.accuracy.set(Double.doubleToLongBits(accuracy));
    }

    /** A run ended with {@code outcome} ({@code accepted}, {@code rejected} or {@code failed}). */
    public void run(String trigger, String outcome, Duration took) {
        runs.computeIfAbsent(trigger + '/' + outcome, k -> Counter.builder("osprey.trainer.runs")
                .description("retraining runs, by trigger and outcome")
                .tag("trigger", trigger)
                .tag("outcome", outcome)
                .register(registry)).increment();
        durations.computeIfAbsent(outcome, o -> Timer.builder("osprey.trainer.run.duration")
                .description("wall time of a retraining run, from trigger to decision")
                .tag("outcome", o)
                .register(registry)).record(took);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Doubles held as bits in an AtomicLong: Micrometer reads them on its own thread. */
    private static final class EpochGauges {

        final AtomicLong loss = new AtomicLong(Double.doubleToLongBits(Double.NaN));
        final AtomicLong accuracy = new AtomicLong(Double.doubleToLongBits(Double.NaN));

        EpochGauges(MeterRegistry registry, String model) {
            Gauge.builder("osprey.trainer.epoch.loss", loss, v -> Double.longBitsToDouble(v.get()))
                    .description("mean training loss of the last epoch")
                    .tag("model", model)
                    .register(registry);
            Gauge.builder("osprey.trainer.epoch.accuracy", accuracy, v -> Double.longBitsToDouble(v.get()))
                    .description("validation accuracy after the last epoch")
                    .tag("model", model)
                    .register(registry);
        }
    }
}
