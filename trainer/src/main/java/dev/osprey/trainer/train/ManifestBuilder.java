package dev.osprey.trainer.train;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes the manifest of a trained model: the recipe and data it came from under {@code training},
 * the best checkpoint's test scores under {@code metrics}. The version is 0; whoever publishes the
 * model numbers it.
 */
final class ManifestBuilder {

    private final TrainingSpec spec;
    private final Dataset train;
    private final Dataset test;
    private final Normalization norm;

    /** For a run of {@code spec} on {@code train}, evaluated on {@code test}, feeding the model {@code norm}. */
    ManifestBuilder(TrainingSpec spec, Dataset train, Dataset test, Normalization norm) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.train = Objects.requireNonNull(train, "train");
        this.test = Objects.requireNonNull(test, "test");
        this.norm = Objects.requireNonNull(norm, "norm");
    }

    /**
     * The manifest for {@code best}'s weights.
     *
     * @param epochsRun epochs evaluated (the history's length)
     * @param best      the checkpoint returned; a non-finite loss is left out of the metrics
     * @param stop      why the run ended
     * @param rollbacks how often the run went back to the checkpoint
     * @param elapsed   the run's wall time
     * @param createdAt the manifest's timestamp
     */
    ModelManifest build(int epochsRun, BestEpochCheckpoint best, TrainingResult.StopReason stop, int rollbacks,
                        Duration elapsed, Instant createdAt) {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("dataset", train.name());
        training.put("testDataset", test.name());
        training.put("trainSize", Batches.labelled(train).length);
        training.put("testSize", Batches.labelled(test).length);
        training.put("epochs", epochsRun);
        training.put("epochsRequested", spec.epochs());
        training.put("bestEpoch", best.epoch());
        training.put("batchSize", spec.batchSize());
        training.put("optimizer", spec.optimizer().name().toLowerCase(Locale.ROOT));
        // Through the float's shortest decimal, so 1e-3f is written 0.001, not 0.0010000000474974513.
        training.put("learningRate", Double.parseDouble(Float.toString(spec.learningRate())));
        training.put("maxShift", spec.maxShift());
        training.put("seed", spec.seed());
        training.put("fineTune", spec.isFineTune());
        training.put("stopReason", stop.name().toLowerCase(Locale.ROOT));
        training.put("rollbacks", rollbacks);
        training.put("trainSeconds", Math.round(elapsed.toMillis() / 100.0) / 10.0);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(ModelTrainer.METRIC_ACCURACY, best.accuracy());
        if (Double.isFinite(best.testLoss())) {
            metrics.put(ModelTrainer.METRIC_LOSS, best.testLoss());
        }
        if (Double.isFinite(best.trainLoss())) {
            metrics.put(ModelTrainer.METRIC_TRAIN_LOSS, best.trainLoss());
        }
        int parentVersion = spec.parent().map(p -> p.manifest().version()).orElse(0);
        return new ModelManifest(spec.modelName(), 0, spec.architecture().id(), train.inputSpec(), norm,
                train.classNames(), training, metrics, parentVersion, "", createdAt);
    }
}
