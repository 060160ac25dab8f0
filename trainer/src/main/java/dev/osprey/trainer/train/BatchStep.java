package dev.osprey.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import dev.osprey.core.image.InputSpec;

/**
 * Forward, backward and update for one batch of normalised CHW floats.
 *
 * <p>Not DJL's {@code EasyTrain.trainBatch}: that one takes {@code Batch} objects made by a
 * {@code Dataset}'s manager (a fresh direct buffer per batch, see {@link DirectInput}), runs the
 * backward pass whatever the loss, and leaves the loss in the trainer's metrics. Here the loss is
 * returned, and a non-finite one is returned before it can reach the gradients or the weights.
 * Not thread-safe: the inputs share two reused buffers.
 */
final class BatchStep {

    private final InputSpec input;
    private final DirectInput pixelInput;
    private final DirectInput labelInput;

    /** A step for batches of up to {@code batchSize} images of {@code input}'s shape. */
    BatchStep(InputSpec input, int batchSize) {
        this.input = input;
        this.pixelInput = new DirectInput(batchSize * input.channels() * input.height() * input.width());
        this.labelInput = new DirectInput(batchSize);
    }

    /**
     * Trains on the first {@code n} images of {@code pixels} and labels of {@code labels}.
     *
     * @return the batch's mean loss; if it is not finite, no update was made
     */
    float run(Trainer trainer, float[] pixels, float[] labels, int n) {
        // One manager per batch: inputs, activations and the loss are freed when it closes.
        try (NDManager manager = trainer.getManager().newSubManager()) {
            NDArray x = pixelInput.create(manager, pixels,
                    new Shape(n, input.channels(), input.height(), input.width()));
            NDArray y = labelInput.create(manager, labels, new Shape(n));
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(new NDList(x));
                NDArray lossArray = trainer.getLoss().evaluate(new NDList(y), predictions);
                loss = lossArray.getFloat();
                if (!Float.isFinite(loss)) {
                    return loss;
                }
                collector.backward(lossArray);
            }
            trainer.step();
            return loss;
        }
    }
}
