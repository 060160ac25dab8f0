package dev.osprey.classifier.model;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import dev.osprey.core.model.ModelManifest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model version and the predictors made from it, one per stream thread.
 *
 * <p>Reference counted: the {@link ModelHolder} holds one reference while the model serves, each
 * batch in flight holds another. The native model and its predictors are closed when the last
 * reference goes, so a swapped-out model finishes its in-flight batches first.
 */
public final class ServingModel {

    private static final Logger LOG = LoggerFactory.getLogger(ServingModel.class);

    private final ModelManifest manifest;
    private final Model model;
    private final AtomicInteger references = new AtomicInteger(1);
    private final Map<Thread, Predictor<NDList, float[]>> predictors = new ConcurrentHashMap<>();

    /** Takes ownership of {@code model}. */
    public ServingModel(ModelManifest manifest, Model model) {
        this.manifest = manifest;
        this.model = model;
    }

    public ModelManifest manifest() {
        return manifest;
    }

    Model model() {
        return model;
    }

    /** The calling thread's predictor, made on first use. */
    Predictor<NDList, float[]> predictor() {
        return predictors.computeIfAbsent(Thread.currentThread(), t -> model.newPredictor(
                new ProbabilityTranslator(!manifest.outputsProbabilities())));
    }

    /** Takes a reference unless the model is already closed. */
    boolean retain() {
        while (true) {
            int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the predictors and the model. */
    void release() {
        if (references.decrementAndGet() == 0) {
            predictors.values().forEach(Predictor::close);
            predictors.clear();
            model.close();
            LOG.info("closed model {}", manifest.tag());
        }
    }
}
