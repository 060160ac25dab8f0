package dev.osprey.core.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.osprey.core.image.InputSpec;
import java.util.Random;

/**
 * The test a model passes before it serves: it has at most {@link ArtifactLimits#MAX_PARAMETERS}
 * parameters, and one forward pass on a full-size batch of realistic images (a black one, a white
 * one, the rest random pixels, normalised as the manifest says) gives finite logits of shape
 * {@code (batch, classes)}. Catches weights that load but do not fit the input (an MLP trained on
 * another image size), a wrong class count, NaN or overflowing weights that zeros alone would not
 * reveal, and a forward pass that throws at the batch size it will serve, before the model
 * replaces a working one. A model whose manifest says its outputs are probabilities must give rows
 * in [0, 1] that sum to 1, or the classifier would serve scores that are not.
 */
public final class ModelCheck {

    /** The batch size {@link #verify(Model, ModelManifest)} checks with. */
    public static final int DEFAULT_BATCH = 32;
    // Bounds the check's own input tensor (64 MiB of floats) whatever the batch size and input shape.
    private static final long MAX_CHECK_VALUES = 16L << 20;
    private static final long SEED = 20_250_102L;
    // float32 softmax rows sum to 1 within a few ulps per class.
    private static final double PROBABILITY_TOLERANCE = 1e-4;

    private ModelCheck() {
    }

    /** {@link #verify(Model, ModelManifest, int)} with a batch of {@link #DEFAULT_BATCH}. */
    public static void verify(Model model, ModelManifest m) throws InvalidArtifactException {
        verify(model, m, DEFAULT_BATCH);
    }

    /**
     * Runs the check with {@code batch} images (fewer if that many of the model's input would pass
     * 64 MiB; at least 2).
     *
     * @throws InvalidArtifactException saying what was wrong
     */
    public static void verify(Model model, ModelManifest m, int batch) throws InvalidArtifactException {
        Block block = model.getBlock();
        if (block == null) {
            throw new InvalidArtifactException(m.tag() + ": the model has no block");
        }
        ArtifactLimits.checkParameters(m, parameters(block));
        InputSpec in = m.input();
        int n = (int) Math.max(2, Math.min(batch, MAX_CHECK_VALUES / in.size()));
        Shape expected = new Shape(n, m.classes().size());
        // A per-call manager: every array of the check is freed when it closes.
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray images = manager.create(images(n, in, m.normalization()),
                    new Shape(n, in.channels(), in.height(), in.width()));
            NDList out = block.forward(new ParameterStore(manager, false), new NDList(images), false);
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
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new InvalidArtifactException(m.tag() + ": output " + values[i] + " for check image "
                            + i / m.classes().size() + " of " + n + ": the weights are broken");
                }
            }
            if (m.outputsProbabilities() && !areProbabilities(values, m.classes().size())) {
                throw new InvalidArtifactException(m.tag() + ": the manifest says the outputs are "
                        + ModelManifest.PROBABILITIES + ", but the rows are not in [0, 1] or do not sum to 1");
            }
        } catch (RuntimeException e) {
            throw new InvalidArtifactException(m.tag() + ": forward pass on a check batch of " + n + " x " + in
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

    private static long parameters(Block block) {
        long count = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().isInitialized()) {
                count += p.getValue().getArray().size();
            }
        }
        return count;
    }

    /** {@code n} CHW images, normalised: black, white, then seeded random pixels. */
    private static float[] images(int n, InputSpec in, Normalization norm) {
        Random random = new Random(SEED);
        int plane = in.height() * in.width();
        float[] values = new float[n * in.size()];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < in.channels(); c++) {
                int base = i * in.size() + c * plane;
                for (int p = 0; p < plane; p++) {
                    int pixel = i == 0 ? 0 : i == 1 ? 255 : random.nextInt(256);
                    values[base + p] = norm.apply(pixel, c);
                }
            }
        }
        return values;
    }
}
