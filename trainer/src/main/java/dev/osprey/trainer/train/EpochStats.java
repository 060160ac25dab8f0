package dev.osprey.trainer.train;

import java.time.Duration;

/**
 * What one epoch did.
 *
 * @param epoch           1-based epoch number
 * @param meanLoss        mean training loss over the epoch's batches
 * @param imagesPerSecond training throughput (forward, backward, update; evaluation not included)
 * @param trainTime       wall time of the training part of the epoch
 * @param testAccuracy    accuracy on the test set after the epoch, in [0, 1]
 * @param testLoss        mean cross-entropy on the test set
 * @param learningRate    the learning rate at the end of the epoch
 * @param complete        false if the time limit cut the epoch short
 */
public record EpochStats(int epoch, double meanLoss, double imagesPerSecond, Duration trainTime,
                         double testAccuracy, double testLoss, float learningRate, boolean complete) {

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "epoch %d: loss %.4f, %.0f images/s, %.1f s, test accuracy %.4f, test loss %.4f, lr %.2e%s",
                epoch, meanLoss, imagesPerSecond, trainTime.toMillis() / 1000.0, testAccuracy, testLoss,
                learningRate, complete ? "" : " (cut short)");
    }
}
