package dev.osprey.classifier.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Feeds an already-batched input tensor to the model as is and returns class probabilities as a Java
 * array (row-major: batch x classes), so no NDArray outlives the predictor call. Logits go through a
 * softmax; a model whose manifest says it outputs probabilities (an imported one ending in a softmax)
 * is taken at its word, since a second softmax would flatten its scores.
 */
final class ProbabilityTranslator implements NoBatchifyTranslator<NDList, float[]> {

    private final boolean softmax;

    /** @param softmax whether the model's outputs are logits that need a softmax */
    ProbabilityTranslator(boolean softmax) {
        this.softmax = softmax;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, NDList input) {
        return input;
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList output) {
        // An imported model may answer in another float type; ours always give float32, which this keeps as is.
        NDArray scores = output.singletonOrThrow().toType(DataType.FLOAT32, false);
        return (softmax ? scores.softmax(1) : scores).toFloatArray();
    }
}
