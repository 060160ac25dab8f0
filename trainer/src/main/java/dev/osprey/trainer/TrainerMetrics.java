package dev.osprey.trainer;

import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.live.LiveAccuracy;
import dev.osprey.trainer.live.VersionStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer's meters. Tags are bounded: feedback kind, model name and version, trigger, outcome,
 * and for the per-class meters a class index below {@link VersionStats#MAX_CLASSES} and only the
 * versions {@code LiveConfusion} keeps (the newest two): an evicted version's meters are removed.
 */
public final class TrainerMetrics {

    private final MeterRegistry registry;
    private final Map<FeedbackKind, Counter> received = new EnumMap<>(FeedbackKind.class);
    private final Map<String, EpochGauges> epochs = new ConcurrentHashMap<>();
    private final Map<String, Counter> runs = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();
    /** Per-class meters by "model/version", then by "label/predicted" (cells) or "label" (accuracy). */
    private final Map<String, Map<String, Meter>> classMeters = new ConcurrentHashMap<>();

    public TrainerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (FeedbackKind kind : FeedbackKind.values()) {
            received.put(kind, Counter.builder("osprey.trainer.feedback.received")
                    .description("well-formed feedback records read, by kind")
                    .tag("kind", kind.id())
                    .register(registry));
        }
    }

    /**
     * The bounded feedback store's meters, read when scraped: examples kept, its capacity, and
     * examples evicted by its newest-per-class policy.
     */
    public void feedbackStore(FeedbackStore store) {
        Gauge.builder("osprey.trainer.feedback.stored", store, FeedbackStore::size)
                .description("feedback examples kept to train on, at the model's input resolution")
                .register(registry);
        Gauge.builder("osprey.trainer.feedback.capacity", store, FeedbackStore::capacity)
                .description("the most feedback examples kept (--max-feedback)")
                .register(registry);
        FunctionCounter.builder("osprey.trainer.feedback.evicted", store, FeedbackStore::evictions)
                .description("feedback examples evicted (the oldest of the largest class) to stay within "
                        + "--max-feedback")
                .register(registry);
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

    /**
     * Makes sure the meters of one counted outcome exist: the confusion cell ({@code label} predicted
     * as {@code predicted}) and the class accuracy of {@code label}. Both read {@code stats} when
     * scraped; registered on first use, so a 100-class model has only the cells that occurred.
     */
    public void classOutcome(VersionStats stats, int label, int predicted) {
        Map<String, Meter> meters = classMeters.computeIfAbsent(stats.model() + '/' + stats.version(),
                k -> new ConcurrentHashMap<>());
        String version = Integer.toString(stats.version());
        meters.computeIfAbsent(label + "/" + predicted, k -> FunctionCounter
                .builder("osprey.trainer.live.confusion", stats, s -> s.count(label, predicted))
                .description("predictions that got feedback, by true class (label) and predicted class, "
                        + "for the two newest versions; correct=false are the off-diagonal cells")
                .tags("model", stats.model(), "version", version, "label", Integer.toString(label),
                        "predicted", Integer.toString(predicted), "correct", Boolean.toString(label == predicted))
                .register(registry));
        meters.computeIfAbsent(Integer.toString(label), k -> Gauge
                .builder("osprey.trainer.live.class.accuracy", stats, s -> s.classAccuracy(label))
                .description("live accuracy on images of one true class, since the version's first outcome, "
                        + "for the two newest versions")
                .tags("model", stats.model(), "version", version, "class", Integer.toString(label))
                .register(registry));
    }

    /** Removes the per-class meters of a version no longer kept. */
    public void forgetClassMeters(VersionStats stats) {
        Map<String, Meter> meters = classMeters.remove(stats.model() + '/' + stats.version());
        if (meters != null) {
            List.copyOf(meters.values()).forEach(registry::remove);
        }
    }

    /** A rollback was published ({@code outcome} {@code published}) or could not be ({@code failed}). */
    public void rollback(String model, String outcome) {
        runs.computeIfAbsent("rollback/" + model + '/' + outcome, k -> Counter.builder("osprey.trainer.rollbacks")
                .description("automatic rollbacks after a swap, by outcome")
                .tag("model", model)
                .tag("outcome", outcome)
                .register(registry)).increment();
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
