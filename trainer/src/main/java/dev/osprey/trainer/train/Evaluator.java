package dev.osprey.trainer.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Measures a model on a labelled dataset: accuracy, mean cross-entropy and the confusion matrix.
 * Inputs are normalised exactly as the classifier normalises live images; unlabelled images
 * (label -1) are skipped. Runs in batches, each in its own {@link NDManager}.
 */
public final class Evaluator {

    /** Images per forward pass. */
    public static final int BATCH_SIZE = 256;

    private Evaluator() {
    }

    /** Fraction of the labelled images of {@code data} that {@code model} classifies right. */
    public static double accuracy(Model model, ModelManifest m, Dataset data) {
        return evaluate(model, m, data).accuracy();
    }

    /**
     * The full evaluation of {@code model}, fed as {@code m} describes (input shape, normalisation).
     *
     * @throws IllegalArgumentException if the dataset's images or labels do not fit the manifest
     */
    public static Evaluation evaluate(Model model, ModelManifest m, Dataset data) {
        if (!data.inputSpec().equals(m.input())) {
            throw new IllegalArgumentException("dataset " + data.name() + " has images of " + data.inputSpec()
                    + ", model " + m.tag() + " takes " + m.input());
        }
        return evaluate(model, m.normalization(), m.classes().size(), data, m.outputsProbabilities());
    }

    static Evaluation evaluate(Model model, Normalization norm, int classes, Dataset data) {
        return evaluate(model, norm, classes, data, false);
    }

    /** @param probabilities whether the model's outputs are probabilities (an imported model ending in softmax) */
    private static Evaluation evaluate(Model model, Normalization norm, int classes, Dataset data,
                                       boolean probabilities) {
        Block block = Objects.requireNonNull(model.getBlock(), "model has no block");
        int[] indices = Batches.labelled(data);
        for (int i : indices) {
            if (data.label(i) >= classes) {
                throw new IllegalArgumentException("dataset " + data.name() + " has label " + data.label(i)
                        + " at image " + i + ", the model knows " + classes + " classes");
            }
        }
        Batches batches = new Batches(data, norm);
        InputSpec in = data.inputSpec();
        int size = batches.imageSize();
        float[] pixels = new float[BATCH_SIZE * size];
        DirectInput direct = new DirectInput(BATCH_SIZE * size);
        float[] labels = new float[BATCH_SIZE];
        int[][] confusion = new int[classes][classes];
        double lossSum = 0;
        for (int from = 0; from < indices.length; from += BATCH_SIZE) {
            int n = Math.min(BATCH_SIZE, indices.length - from);
            batches.fill(indices, from, n, pixels, labels);
            float[] logits;
            // One manager per batch: every array of the pass is freed when it closes.
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDArray x = direct.create(manager, pixels, new Shape(n, in.channels(), in.height(), in.width()));
                NDList out = block.forward(new ParameterStore(manager, false), new NDList(x), false);
                logits = out.head().toType(DataType.FLOAT32, false).toFloatArray();
            }
            for (int k = 0; k < n; k++) {
                int truth = (int) labels[k];
                int predicted = argmax(logits, k * classes, classes);
                confusion[truth][predicted]++;
                lossSum += probabilities
                        ? -Math.log(Math.max(logits[k * classes + truth], Float.MIN_NORMAL))
                        : crossEntropy(logits, k * classes, classes, truth);
            }
        }
        return new Evaluation(confusion, indices.length == 0 ? 0 : lossSum / indices.length);
    }

    private static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            // NaN never wins, so NaN logits show up as a wrong class rather than class 0 by luck.
            if (v[off + j] > v[off + best] || Float.isNaN(v[off + best])) {
                best = j;
            }
        }
        return best;
    }

    /** {@code -log softmax(v)[truth]}, computed stably. */
    private static double crossEntropy(float[] v, int off, int n, int truth) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, v[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(v[off + j] - max);
        }
        return Math.log(sum) + max - v[off + truth];
    }

    /**
     * What an evaluation found.
     */
    public static final class Evaluation {

        private final int[][] confusion;
        private final double meanLoss;
        private final int total;
        private final int correct;

        Evaluation(int[][] confusion, double meanLoss) {
            this.confusion = confusion;
            this.meanLoss = meanLoss;
            int t = 0;
            int c = 0;
            for (int i = 0; i < confusion.length; i++) {
                for (int j = 0; j < confusion.length; j++) {
                    t += confusion[i][j];
                }
                c += confusion[i][i];
            }
            this.total = t;
            this.correct = c;
        }

        /** Labelled images evaluated. */
        public int total() {
            return total;
        }

        /** Images classified right. */
        public int correct() {
            return correct;
        }

        /** {@code correct / total}, 0 for an empty set. */
        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }

        /** Mean cross-entropy of the true class; NaN or infinite if the model's outputs are. */
        public double meanLoss() {
            return meanLoss;
        }

        /** {@code [truth][predicted]} counts; a copy. */
        public int[][] confusion() {
            int[][] copy = new int[confusion.length][];
            for (int i = 0; i < confusion.length; i++) {
                copy[i] = confusion[i].clone();
            }
            return copy;
        }

        /** Accuracy per true class; NaN for a class with no images. */
        public double[] perClassAccuracy() {
            double[] out = new double[confusion.length];
            for (int i = 0; i < confusion.length; i++) {
                int row = Arrays.stream(confusion[i]).sum();
                out[i] = row == 0 ? Double.NaN : (double) confusion[i][i] / row;
            }
            return out;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "accuracy %.4f (%d/%d), loss %.4f", accuracy(), correct, total,
                    meanLoss);
        }
    }
}
