package dev.osprey.trainer.live;

/**
 * A prediction checked against its feedback label.
 *
 * @param model   model name
 * @param version model version that made the prediction
 * @param correct whether the predicted class is the true one
 */
public record Outcome(String model, int version, boolean correct) {

    /** The outcome of {@code predicted} when the true class is {@code label}. */
    public static Outcome of(PredictedClass predicted, int label) {
        return new Outcome(predicted.model(), predicted.version(), predicted.classIndex() == label);
    }
}
