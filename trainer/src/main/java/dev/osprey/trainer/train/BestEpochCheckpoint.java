package dev.osprey.trainer.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.util.Objects;

/**
 * The weights of the epoch with the best test accuracy so far, kept in memory with the scores they
 * earned, so that a late epoch that overfits or diverges never becomes the result and a diverged run
 * can go back to them.
 *
 * <p>Epoch 0 stands for the starting weights (the parent's for a fine-tune, the initial ones
 * otherwise); a later epoch replaces the checkpoint only with a strictly higher accuracy.
 */
final class BestEpochCheckpoint {

    private byte[] weights;
    private int epoch;
    private double accuracy = Double.NEGATIVE_INFINITY;
    private double testLoss = Double.NaN;
    private double trainLoss = Double.NaN;

    /** Whether the starting weights have been recorded yet. */
    boolean isEmpty() {
        return weights == null;
    }

    /** Records {@code block}'s current weights as epoch 0, not yet measured. */
    void start(Block block) {
        weights = BlockWeights.save(block);
        epoch = 0;
    }

    /** Gives the weights held now the test scores measured on them (the start's, or a fallback's). */
    void measured(double testAccuracy, double meanTestLoss) {
        accuracy = testAccuracy;
        testLoss = meanTestLoss;
    }

    /**
     * Keeps {@code block}'s weights as {@code epochDone}'s if {@code testAccuracy} beats the best so far.
     *
     * @return whether they were kept
     */
    boolean offer(int epochDone, double testAccuracy, double meanTestLoss, double meanTrainLoss, Block block) {
        if (!(testAccuracy > accuracy)) {
            return false;
        }
        accuracy = testAccuracy;
        testLoss = meanTestLoss;
        trainLoss = meanTrainLoss;
        epoch = epochDone;
        weights = BlockWeights.save(block);
        return true;
    }

    /** Puts the best weights back into {@code block}, its arrays made by {@code manager}. */
    void restore(Block block, NDManager manager) {
        BlockWeights.load(block, manager, weights());
    }

    /** Whether any test accuracy has been recorded (the start's or an epoch's). */
    boolean isMeasured() {
        return accuracy != Double.NEGATIVE_INFINITY;
    }

    byte[] weights() {
        return Objects.requireNonNull(weights, "no weights recorded yet");
    }

    int epoch() {
        return epoch;
    }

    /** The best test accuracy, {@link Double#NEGATIVE_INFINITY} if nothing was measured. */
    double accuracy() {
        return accuracy;
    }

    /** The best epoch's mean test loss, NaN if nothing was measured. */
    double testLoss() {
        return testLoss;
    }

    /** The best epoch's mean training loss, NaN for epoch 0. */
    double trainLoss() {
        return trainLoss;
    }
}
