package dev.osprey.trainer.train;

/**
 * Hears how a training run goes, for consoles, metrics and {@code training-events}. Called on the
 * training thread: keep it quick. Every method has a no-op default.
 */
public interface TrainingListener {

    /** Ignores everything. */
    TrainingListener NONE = new TrainingListener() {
    };

    /** Epoch {@code epoch} (1-based) of at most {@code epochs} begins. */
    default void onEpochStart(int epoch, int epochs) {
    }

    /** Progress inside an epoch; called at most about ten times a second, and after the last batch. */
    default void onBatch(BatchProgress progress) {
    }

    /** An epoch finished (or was cut short by the time limit) and was evaluated on the test set. */
    default void onEpochEnd(EpochStats stats) {
    }

    /**
     * The loss became non-finite: the weights went back to the best checkpoint and training goes on
     * with {@code newLearningRate}, or stops if the rollbacks are used up.
     */
    default void onRollback(int epoch, String reason, float newLearningRate) {
    }

    /** The listener that does nothing. */
    static TrainingListener none() {
        return NONE;
    }

    /**
     * Where an epoch stands.
     *
     * @param epoch           1-based epoch
     * @param batchesDone     batches finished in this epoch
     * @param batchesTotal    batches in this epoch
     * @param runningLoss     mean training loss of the epoch so far
     * @param imagesPerSecond training throughput of the epoch so far
     */
    record BatchProgress(int epoch, int batchesDone, int batchesTotal, double runningLoss, double imagesPerSecond) {
    }
}
