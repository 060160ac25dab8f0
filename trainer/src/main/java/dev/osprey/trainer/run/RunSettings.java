package dev.osprey.trainer.run;

import java.time.Duration;
import java.util.Objects;

/**
 * How long and on what a retraining run trains.
 *
 * @param epochs        epochs of a fine-tune (a request may ask for another number)
 * @param freshEpochs   epochs when a run trains from scratch
 * @param maxWallTime   time budget of the training part of a run; the best epoch so far is kept
 * @param baseImages    images drawn from the dataset's train split for each run (a fresh draw per
 *                      run), so the model keeps what it knew while it learns the feedback
 * @param feedbackShare the share of the training mix that feedback makes up when there is enough of
 *                      it: feedback is repeated (at most {@value #MAX_REPEAT} times) to reach it,
 *                      since a few hundred new examples would otherwise drown in the base images
 * @param closeGrace    how long closing the trainer lets a run in flight finish before interrupting
 *                      it (an interrupted run publishes nothing); zero interrupts at once
 */
public record RunSettings(int epochs, int freshEpochs, Duration maxWallTime, int baseImages, double feedbackShare,
                          Duration closeGrace) {

    public static final int MAX_REPEAT = 20;

    public RunSettings {
        Objects.requireNonNull(maxWallTime, "maxWallTime");
        Objects.requireNonNull(closeGrace, "closeGrace");
        if (epochs < 1 || epochs > 1000) {
            throw new IllegalArgumentException("--epochs must be in [1, 1000]: " + epochs);
        }
        if (freshEpochs < 1 || freshEpochs > 1000) {
            throw new IllegalArgumentException("fresh epochs must be in [1, 1000]: " + freshEpochs);
        }
        if (maxWallTime.isNegative() || maxWallTime.isZero()) {
            throw new IllegalArgumentException("--max-run-time must be positive: " + maxWallTime);
        }
        if (baseImages < 0) {
            throw new IllegalArgumentException("--base-images must be >= 0: " + baseImages);
        }
        if (!(feedbackShare >= 0 && feedbackShare < 1)) {
            throw new IllegalArgumentException("feedback share must be in [0, 1): " + feedbackShare);
        }
        if (closeGrace.isNegative()) {
            throw new IllegalArgumentException("close grace must not be negative: " + closeGrace);
        }
    }

    /** Three fine-tune epochs on 10,000 base images plus feedback, at most five minutes; closing interrupts. */
    public static RunSettings defaults() {
        return new RunSettings(3, 10, Duration.ofMinutes(5), 10_000, 0.5, Duration.ZERO);
    }

    public RunSettings withEpochs(int n) {
        return new RunSettings(n, freshEpochs, maxWallTime, baseImages, feedbackShare, closeGrace);
    }

    public RunSettings withFreshEpochs(int n) {
        return new RunSettings(epochs, n, maxWallTime, baseImages, feedbackShare, closeGrace);
    }

    public RunSettings withMaxWallTime(Duration d) {
        return new RunSettings(epochs, freshEpochs, d, baseImages, feedbackShare, closeGrace);
    }

    public RunSettings withCloseGrace(Duration d) {
        return new RunSettings(epochs, freshEpochs, maxWallTime, baseImages, feedbackShare, d);
    }

    public RunSettings withBaseImages(int n) {
        return new RunSettings(epochs, freshEpochs, maxWallTime, n, feedbackShare, closeGrace);
    }
}
