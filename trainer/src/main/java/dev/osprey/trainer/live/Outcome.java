package dev.osprey.trainer.live;

/**
 * A prediction checked against its feedback label.
 *
 * @param model     model name
 * @param version   model version that made the prediction
 * @param label     the true class, from feedback
 * @param predicted the class the model predicted
 */
public record Outcome(String model, int version, int label, int predicted) {

    /** The outcome of {@code predicted} when the true class is {@code label}. */
    public static Outcome of(PredictedClass predicted, int label) {
        return new Outcome(predicted.model(), predicted.version(), label, predicted.classIndex());
    }

    /** Whether the predicted class is the true one. */
    public boolean correct() {
        return label == predicted;
    }
}
