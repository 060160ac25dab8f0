package dev.osprey.core.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.osprey.core.image.InputSpec;

/**
 * The smoke test a model passes before it serves: one forward pass on a batch of two zero
 * images must give finite logits of shape {@code (2, classes)}. Catches weights that load but
 * do not fit the input (an MLP trained on another image size), a wrong class count, and
 * NaN weights, before the model replaces a working one. A model whose manifest says its outputs are
 * probabilities must give rows in [0, 1] that sum to 1, or the classifier would serve scores that are not.
 */
public final class ModelCheck {

    private static final int BATCH = 2;
    // float32 softmax rows sum to 1 within a few ulps per class.
    private static final double PROBABILITY_TOLERANCE = 1e-4;

    private ModelCheck() {
    }

    /**
     * Runs the check.
     *
     * @throws InvalidArtifactException saying what was wrong
     */
    public static void verify(Model model, ModelManifest m) throws InvalidArtifactException {
        Block block = model.getBlock();
        if (block == null) {
            throw new InvalidArtifactException(m.tag() + ": the model has no block");
        }
        InputSpec in = m.input();
        Shape expected = new Shape(BATCH, m.classes().size());
        // A per-call manager: every array of the check is freed when it closes.
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray zeros = manager.zeros(new Shape(BATCH, in.channels(), in.height(), in.width()), DataType.FLOAT32);
            NDList out = block.forward(new ParameterStore(manager, false), new NDList(zeros), false);
            if (out.size() != 1) {
                throw new InvalidArtifactException(m.tag() + ": the block returned " + out.size()
                        + " outputs, expected 1");
            }
            NDArray logits = out.head();
            if (!logits.getShape().equals(expected)) {
                throw new InvalidArtifactException(m.tag() + ": output shape " + logits.getShape()
                        + " for input " + in + ", expected " + expected);
            }
            float[] values = logits.toType(DataType.FLOAT32, false).toFloatArray();
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    throw new InvalidArtifactException(m.tag() + ": output is not finite (" + v
                            + "): the weights are broken");
                }
            }
            if (m.outputsProbabilities() && !areProbabilities(values, m.classes().size())) {
                throw new InvalidArtifactException(m.tag() + ": the manifest says the outputs are "
                        + ModelManifest.PROBABILITIES + ", but the rows are not in [0, 1] or do not sum to 1");
            }
        } catch (RuntimeException e) {
            throw new InvalidArtifactException(m.tag() + ": forward pass on a zero batch of " + in
                    + " failed: " + TorchScriptImport.torchMessage(e.getMessage()), e);
        }
    }

    /**
     * Whether every row of a row-major {@code (n, classes)} matrix is a probability distribution, to
     * float rounding: what a softmax as the model's last step gives.
     */
    public static boolean areProbabilities(float[] rows, int classes) {
        for (int from = 0; from + classes <= rows.length; from += classes) {
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                float v = rows[from + c];
                if (v < -PROBABILITY_TOLERANCE || v > 1 + PROBABILITY_TOLERANCE) {
                    return false;
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > PROBABILITY_TOLERANCE * classes) {
                return false;
            }
        }
        return true;
    }
}
