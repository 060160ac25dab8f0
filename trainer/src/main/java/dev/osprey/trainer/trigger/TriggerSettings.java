package dev.osprey.trainer.trigger;

import java.time.Duration;
import java.util.Objects;

/**
 * When the trainer retrains by itself, and how close triggers are merged.
 *
 * @param retrainEvery     retrain after this many new usable feedback records; 0 turns it off
 * @param minLiveAccuracy  retrain when the serving version's live accuracy over the last
 *                         {@code accuracyWindow} outcomes is below this; 0 turns it off
 * @param accuracyWindow   how many recent outcomes (predictions joined with feedback) live accuracy
 *                         is measured over, per model version
 * @param coalesceDelay    how long a first trigger waits for others before its run starts, so
 *                         triggers that arrive together make one run
 * @param minInterval      the least time from the start of one run to the start of the next, so
 *                         that a person can follow the runs (and a busy stream does not retrain
 *                         back to back); 0 lets runs follow each other at once
 */
public record TriggerSettings(int retrainEvery, double minLiveAccuracy, int accuracyWindow, Duration coalesceDelay,
                              Duration minInterval) {

    public static final int DEFAULT_RETRAIN_EVERY = 500;
    public static final double DEFAULT_MIN_LIVE_ACCURACY = 0.8;
    public static final int DEFAULT_ACCURACY_WINDOW = 200;
    public static final Duration DEFAULT_COALESCE_DELAY = Duration.ofMillis(500);
    public static final Duration DEFAULT_MIN_INTERVAL = Duration.ofSeconds(60);

    public TriggerSettings {
        Objects.requireNonNull(coalesceDelay, "coalesceDelay");
        Objects.requireNonNull(minInterval, "minInterval");
        if (retrainEvery < 0) {
            throw new IllegalArgumentException("--retrain-every must be >= 0 (0 turns it off): " + retrainEvery);
        }
        if (!(minLiveAccuracy >= 0 && minLiveAccuracy <= 1)) {
            throw new IllegalArgumentException("--min-live-accuracy must be in [0, 1] (0 turns it off): "
                    + minLiveAccuracy);
        }
        if (accuracyWindow < 1 || accuracyWindow > 1_000_000) {
            throw new IllegalArgumentException("--accuracy-window must be in [1, 1000000]: " + accuracyWindow);
        }
        if (coalesceDelay.isNegative() || coalesceDelay.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("coalesce delay must be in [0, 10 min]: " + coalesceDelay.toMillis()
                    + " ms");
        }
        if (minInterval.isNegative() || minInterval.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("--min-retrain-interval must be in [0, 1 day]: "
                    + minInterval.toSeconds() + " s");
        }
    }

    public static TriggerSettings defaults() {
        return new TriggerSettings(DEFAULT_RETRAIN_EVERY, DEFAULT_MIN_LIVE_ACCURACY, DEFAULT_ACCURACY_WINDOW,
                DEFAULT_COALESCE_DELAY, DEFAULT_MIN_INTERVAL);
    }

    public TriggerSettings withRetrainEvery(int n) {
        return new TriggerSettings(n, minLiveAccuracy, accuracyWindow, coalesceDelay, minInterval);
    }

    public TriggerSettings withLiveAccuracy(double min, int window) {
        return new TriggerSettings(retrainEvery, min, window, coalesceDelay, minInterval);
    }

    public TriggerSettings withCoalesceDelay(Duration delay) {
        return new TriggerSettings(retrainEvery, minLiveAccuracy, accuracyWindow, delay, minInterval);
    }

    public TriggerSettings withMinInterval(Duration interval) {
        return new TriggerSettings(retrainEvery, minLiveAccuracy, accuracyWindow, coalesceDelay, interval);
    }
}
