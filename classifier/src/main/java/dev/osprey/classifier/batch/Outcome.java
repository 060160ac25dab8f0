package dev.osprey.classifier.batch;

import dev.osprey.core.image.RejectReason;

/** What became of one image of a batch: classified, or rejected with a reason. */
public sealed interface Outcome {

    /**
     * The model's answer.
     *
     * @param topClasses class indices, most probable first
     * @param topScores  their probabilities
     */
    record Classified(int[] topClasses, float[] topScores) implements Outcome {

        public int best() {
            return topClasses[0];
        }

        public float confidence() {
            return topScores[0];
        }
    }

    /** The image could not be fed to the model (e.g. it cannot be resized to the model's input). */
    record Rejected(RejectReason reason, String message) implements Outcome {
    }
}
