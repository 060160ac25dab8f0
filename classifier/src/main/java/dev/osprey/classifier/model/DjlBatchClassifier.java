package dev.osprey.classifier.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import dev.osprey.classifier.batch.BatchClassifier;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.batch.InferenceException;
import dev.osprey.classifier.batch.Outcome;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.ModelInput;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a batch through the serving DJL model: one input tensor, one forward pass, in a
 * per-batch NDManager so native memory is freed when the batch ends. A forward pass that throws
 * is reported as an {@link InferenceException} (the caller isolates the images that cause it);
 * a row of non-finite scores is refused as {@code model-output-invalid}, never reported as a class.
 */
public final class DjlBatchClassifier implements BatchClassifier {

    private static final int TOP_K = 3;

    private static final Logger LOG = LoggerFactory.getLogger(DjlBatchClassifier.class);

    private final ModelHolder holder;
    /** The last challenger version whose shadow pass failed, so the failure is logged once. */
    private volatile int failedChallenger = -1;
    /**
     * Reused native input buffer per thread (a batch of 256 MNIST images is 800 KB), filled by
     * {@link ModelInput#fill} directly: the pixels are converted once and not copied again. From a
     * direct, native-order buffer PyTorch makes
     * the input tensor without a copy; from a heap array DJL would allocate a new direct buffer per
     * batch that only the garbage collector frees (native memory grew by hundreds of MB per minute).
     * The tensor aliases this buffer, so it must be closed before the thread's next batch — the
     * per-batch NDManager does that.
     */
    private final ThreadLocal<ByteBuffer> direct = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));

    public DjlBatchClassifier(ModelHolder holder) {
        this.holder = holder;
    }

    @Override
    public BatchResult classify(List<RawImage> images) {
        try (ModelHolder.Lease lease = holder.acquire()) {
            ModelManifest manifest = lease.manifest();
            InputSpec spec = manifest.input();
            int size = spec.size();
            ByteBuffer buffer = direct(images.size() * size);
            FloatBuffer data = buffer.asFloatBuffer();
            Outcome[] outcomes = new Outcome[images.size()];
            int[] rows = new int[images.size()];
            int n = 0;
            for (int i = 0; i < images.size(); i++) {
                try {
                    ModelInput.fill(images.get(i), spec, manifest.normalization(), data, n * size);
                    rows[n++] = i;
                } catch (ImageRejectedException e) {
                    outcomes[i] = new Outcome.Rejected(e.reason(), e.getMessage());
                }
            }
            Outcome[] shadow = null;
            ModelManifest challenger = null;
            if (n > 0) {
                buffer.limit(n * size * Float.BYTES);
                name(forward(lease, buffer, n, spec), manifest, rows, n, outcomes);
                Optional<ModelHolder.Lease> second = lease.challenger()
                        .filter(c -> sameInput(c.manifest(), manifest));
                if (second.isPresent()) {
                    challenger = second.get().manifest();
                    shadow = shadow(second.get(), buffer, n, rows, outcomes);
                }
            }
            return shadow == null ? new BatchResult(manifest, Arrays.asList(outcomes))
                    : new BatchResult(manifest, Arrays.asList(outcomes), challenger, Arrays.asList(shadow));
        }
    }

    /**
     * The challenger's outcomes: a second forward pass over the same input buffer (no second decode
     * or copy). Images the champion could not take are the same for it; a challenger that fails
     * gives no outcomes for this batch, and never changes the champion's.
     */
    private Outcome[] shadow(ModelHolder.Lease challenger, ByteBuffer buffer, int n, int[] rows, Outcome[] champion) {
        ModelManifest m = challenger.manifest();
        Outcome[] out = new Outcome[champion.length];
        for (int i = 0; i < champion.length; i++) {
            if (champion[i] instanceof Outcome.Rejected r) {
                out[i] = r; // the rows that went in are named again below
            }
        }
        try {
            buffer.position(0);
            name(forward(challenger, buffer, n, m.input()), m, rows, n, out);
            return out;
        } catch (RuntimeException e) {
            if (failedChallenger != m.version()) {
                failedChallenger = m.version();
                LOG.warn("the challenger {} failed a shadow pass ({}); its shadow scores skip such batches", m.tag(),
                        e.toString());
            }
            return null;
        }
    }

    /** Whether a challenger takes exactly the champion's input tensor and names the same classes. */
    static boolean sameInput(ModelManifest challenger, ModelManifest champion) {
        return challenger.input().equals(champion.input())
                && challenger.normalization().equals(champion.normalization())
                && challenger.classes().equals(champion.classes());
    }

    /** Turns a pass's probabilities into outcomes for the rows that went in. */
    private static void name(float[] probabilities, ModelManifest manifest, int[] rows, int n, Outcome[] outcomes) {
        int classes = manifest.classes().size();
        if (probabilities.length != n * classes) {
            // A model whose output does not match its own manifest: nothing it says can be named.
            Outcome bad = new Outcome.Rejected(RejectReason.MODEL_OUTPUT_INVALID, "model " + manifest.tag()
                    + " returned " + probabilities.length + " scores for " + n + " images of "
                    + classes + " classes");
            for (int j = 0; j < n; j++) {
                outcomes[rows[j]] = bad;
            }
            return;
        }
        for (int j = 0; j < n; j++) {
            outcomes[rows[j]] = finite(probabilities, j * classes, classes)
                    ? top(probabilities, j * classes, classes)
                    : new Outcome.Rejected(RejectReason.MODEL_OUTPUT_INVALID, "model " + manifest.tag()
                            + " returned non-finite scores (NaN or infinite) for this image");
        }
    }


    private float[] forward(ModelHolder.Lease lease, ByteBuffer buffer, int n, InputSpec spec) {
        try (NDManager batch = lease.model().getNDManager().newSubManager()) {
            NDArray input = batch.create(buffer, new Shape(n, spec.channels(), spec.height(), spec.width()),
                    DataType.FLOAT32);
            return lease.predictor().predict(new NDList(input));
        } catch (TranslateException | EngineException e) {
            // The caller splits the batch to find out whether some images cause it.
            throw new InferenceException("forward pass failed on model " + lease.manifest().tag() + " for " + n
                    + " image(s)", e);
        }
    }

    private ByteBuffer direct(int floats) {
        ByteBuffer b = direct.get();
        if (b.capacity() < floats * Float.BYTES) {
            b = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
            direct.set(b);
        }
        b.clear();
        return b;
    }

    private static boolean finite(float[] p, int from, int classes) {
        for (int c = from; c < from + classes; c++) {
            if (!Float.isFinite(p[c])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The {@value #TOP_K} most probable classes of one row (all of them when there are fewer), most
     * probable first, by partial selection; of equal scores the lower class comes first. The row
     * must be finite.
     */
    static Outcome.Classified top(float[] p, int from, int classes) {
        int k = Math.min(TOP_K, classes);
        int[] cls = new int[k];
        float[] score = new float[k];
        Arrays.fill(score, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < classes; c++) {
            float v = p[from + c];
            if (v > score[k - 1]) {
                int pos = k - 1;
                while (pos > 0 && v > score[pos - 1]) {
                    score[pos] = score[pos - 1];
                    cls[pos] = cls[pos - 1];
                    pos--;
                }
                score[pos] = v;
                cls[pos] = c;
            }
        }
        return new Outcome.Classified(cls, score);
    }
}
