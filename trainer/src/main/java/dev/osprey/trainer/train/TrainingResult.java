package dev.osprey.trainer.train;

import dev.osprey.core.model.ModelArtifact;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The outcome of a run: the best checkpoint as an artifact (version 0, to be numbered by whoever
 * publishes it), what each epoch did, and why training stopped.
 *
 * @param artifact       the weights of {@code bestEpoch}, with its test accuracy and loss in the manifest
 * @param history        one entry per evaluated epoch, in order
 * @param bestEpoch      the epoch whose weights {@code artifact} holds; 0 means no epoch beat the
 *                       starting weights (the parent's for a fine-tune, the initial ones otherwise)
 * @param parentAccuracy a fine-tune's parent's accuracy on the same test set, measured first
 * @param stopReason     why the run ended
 * @param rollbacks      how often a non-finite loss sent the weights back to the best checkpoint
 * @param elapsed        wall time of the whole run, evaluation included
 */
public record TrainingResult(ModelArtifact artifact, List<EpochStats> history, int bestEpoch,
                             OptionalDouble parentAccuracy, StopReason stopReason, int rollbacks,
                             Duration elapsed) {

    /** Why a run ended. */
    public enum StopReason {
        /** All requested epochs ran. */
        COMPLETED,
        /** The spec's maximum wall time was reached. */
        TIME_LIMIT,
        /** The loss kept becoming non-finite; the best checkpoint before it was kept. */
        DIVERGED,
        /** The training thread was interrupted; its interrupt flag is still set. */
        INTERRUPTED
    }

    public TrainingResult {
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(parentAccuracy, "parentAccuracy");
        Objects.requireNonNull(stopReason, "stopReason");
        Objects.requireNonNull(elapsed, "elapsed");
        history = List.copyOf(history);
    }

    /** Test accuracy of the returned weights. */
    public double testAccuracy() {
        return artifact.manifest().metrics().getOrDefault(ModelTrainer.METRIC_ACCURACY, 0.0);
    }
}
