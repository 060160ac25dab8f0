package dev.osprey.trainer.publish;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetException;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure a model of a given name serves: if {@code models} holds no version of it, trains one on
 * the dataset's train split and publishes it as version 1. Used by {@code osprey demo} and by the
 * trainer service on an empty cluster.
 */
public final class SeedModel {

    private static final Logger LOG = LoggerFactory.getLogger(SeedModel.class);

    private SeedModel() {
    }

    /**
     * @return the manifest of the model now serving: the one found on the topic, or the one trained
     */
    public static ModelManifest ensure(ModelPublisher publisher, Path data, TrainingSpec spec,
                                       TrainingListener listener) throws DatasetException {
        Optional<ModelArtifact> existing = publisher.latest(spec.modelName());
        if (existing.isPresent()) {
            LOG.info("model {} already published; not training a seed model", existing.get().manifest().tag());
            return existing.get().manifest();
        }
        return train(publisher, Datasets.load(data, Split.TRAIN), Datasets.load(data, Split.TEST), spec, listener);
    }

    /**
     * As {@link #ensure(ModelPublisher, Path, TrainingSpec, TrainingListener)}, for a caller that has
     * the splits in memory already (the trainer service keeps them for its runs).
     */
    public static ModelManifest ensure(ModelPublisher publisher, Dataset train, Dataset test, TrainingSpec spec,
                                       TrainingListener listener) {
        Optional<ModelArtifact> existing = publisher.latest(spec.modelName());
        if (existing.isPresent()) {
            LOG.info("model {} already published; not training a seed model", existing.get().manifest().tag());
            return existing.get().manifest();
        }
        return train(publisher, train, test, spec, listener);
    }

    private static ModelManifest train(ModelPublisher publisher, Dataset train, Dataset test, TrainingSpec spec,
                                       TrainingListener listener) {
        LOG.info("no version of {} on the models topic: training a seed {} on {} ({} images)", spec.modelName(),
                spec.architecture().id(), train.name(), train.size());
        TrainingResult result = new ModelTrainer().train(spec, train, test, listener);
        return publisher.publish(result.artifact(), spec.modelName(), 0);
    }

    /** The model name a dataset suggests: its directory name, e.g. {@code fashion-mnist}. */
    public static String defaultName(Path data) {
        Path name = data.toAbsolutePath().normalize().getFileName();
        String s = name == null ? "model" : name.toString().replaceAll("[^A-Za-z0-9._-]", "-");
        return s.isEmpty() ? "model" : s;
    }
}
