package dev.osprey.classifier.model;

import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Feeds an already-batched input tensor to the model as is and returns the softmax of its logits as
 * a Java array (row-major: batch x classes), so no NDArray outlives the predictor call.
 */
final class ProbabilityTranslator implements NoBatchifyTranslator<NDList, float[]> {

    @Override
    public NDList processInput(TranslatorContext ctx, NDList input) {
        return input;
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList output) {
        return output.singletonOrThrow().softmax(1).toFloatArray();
    }
}
