package dev.osprey.classifier;

import dev.osprey.classifier.deadletter.DeadLetterListener;
import dev.osprey.classifier.deadletter.ProductionErrorListener;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The classifier's own meters. Tags are bounded: model name and version, reject reason, swap
 * outcome — never an image id.
 */
public final class ClassifierMetrics implements DeadLetterListener, ProductionErrorListener {

    private final MeterRegistry registry;
    private final DistributionSummary batchSize;
    private final Timer queueTime;
    private final Timer inferenceTime;
    private final Timer endToEnd;
    private final Map<String, AtomicInteger> servingVersions = new ConcurrentHashMap<>();
    private final Map<String, Counter> predictions = new ConcurrentHashMap<>();
    private final Map<RejectReason, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Map<String, Counter> swaps = new ConcurrentHashMap<>();
    private final Map<String, Counter> productionErrors = new ConcurrentHashMap<>();
    private final Counter recoveryLost;

    public ClassifierMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.batchSize = DistributionSummary.builder("osprey.classifier.batch.size")
                .description("images per forward pass")
                .baseUnit("images")
                .publishPercentileHistogram()
                .minimumExpectedValue(1.0)
                .maximumExpectedValue(4096.0)
                .register(registry);
        this.queueTime = Timer.builder("osprey.classifier.batch.queue")
                .description("time the oldest image of a batch waited in the buffer")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        this.inferenceTime = Timer.builder("osprey.classifier.batch.inference")
                .description("forward pass time per batch")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        this.endToEnd = Timer.builder("osprey.classifier.latency")
                .description("image record timestamp to prediction produced")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        this.recoveryLost = Counter.builder("osprey.classifier.recovery.lost")
                .description("input offsets to re-read after a restart that retention had already deleted")
                // No base unit: Prometheus would append it, and docs and alerts name osprey_classifier_recovery_lost_total.
                .register(registry);
        // Registered at zero so that rate() sees the first event of each kind too.
        for (RejectReason reason : RejectReason.values()) {
            deadLetterCounter(reason);
        }
        for (String outcome : new String[] {"swapped", "refused", "stale"}) {
            swapCounter(outcome);
        }
    }

    public void batch(int size, long queuedMs, long inferenceNanos) {
        batchSize.record(size);
        queueTime.record(queuedMs, TimeUnit.MILLISECONDS);
        inferenceTime.record(inferenceNanos, TimeUnit.NANOSECONDS);
    }

    public void predicted(ModelManifest model, int count, long[] latenciesMs) {
        predictions.computeIfAbsent(model.name() + ':' + model.version(), k -> Counter
                .builder("osprey.classifier.predictions")
                .description("predictions made, by model version")
                .tag("model", model.name())
                .tag("version", Integer.toString(model.version()))
                .register(registry)).increment(count);
        for (int i = 0; i < count; i++) {
            endToEnd.record(Math.max(0, latenciesMs[i]), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void deadLettered(RejectReason reason) {
        deadLetterCounter(reason).increment();
    }

    private Counter deadLetterCounter(RejectReason reason) {
        return deadLetters.computeIfAbsent(reason, r -> Counter.builder("osprey.classifier.dead.letters")
                .description("images sent to the dead-letter topic, by reason")
                .tag("reason", r.id())
                .register(registry));
    }

    /**
     * A record for {@code topic} could not be produced and was skipped. Tags: the topic (one of the
     * classifier's few outputs) and the exception's class name.
     */
    @Override
    public void productionFailed(String topic, String error) {
        productionErrors.computeIfAbsent(topic + '|' + error, k -> Counter
                .builder("osprey.classifier.production.errors")
                .description("output records Kafka Streams could not produce, skipped")
                .tag("topic", topic)
                .tag("error", error)
                .register(registry)).increment();
    }

    /** {@code count} input offsets were gone (retention) when a restarted task re-read its unflushed range. */
    public void recoveryLost(long count) {
        recoveryLost.increment(count);
    }

    /** A model was offered: {@code outcome} is {@code swapped}, {@code refused} or {@code stale}. */
    public void swap(String outcome) {
        swapCounter(outcome).increment();
    }

    private Counter swapCounter(String outcome) {
        return swaps.computeIfAbsent(outcome, o -> Counter.builder("osprey.classifier.swaps")
                .description("model versions offered to the classifier, by outcome")
                .tag("outcome", o)
                .register(registry));
    }

    /** The version now serving, as a gauge tagged with the model name; other names drop to 0. */
    public void serving(ModelManifest model) {
        servingVersions.forEach((name, v) -> {
            if (!name.equals(model.name())) {
                v.set(0);
            }
        });
        servingVersions.computeIfAbsent(model.name(), name -> {
            AtomicInteger v = new AtomicInteger();
            Gauge.builder("osprey.classifier.model.version", v, AtomicInteger::get)
                    .description("version of the model now serving")
                    .tag("model", name)
                    .register(registry);
            return v;
        }).set(model.version());
    }

    public MeterRegistry registry() {
        return registry;
    }
}
