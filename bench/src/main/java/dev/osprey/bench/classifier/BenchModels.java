package dev.osprey.bench.classifier;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.trainer.train.EpochStats;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models the bench serves: trained for real on Fashion-MNIST by the trainer module (a model's
 * speed does not depend on its accuracy, but a real one proves the whole path), optionally kept in a
 * cache directory so repeated bench runs skip training.
 */
public final class BenchModels {

    private static final Logger LOG = LoggerFactory.getLogger(BenchModels.class);

    private BenchModels() {
    }

    /** A trained {@code architecture} model: from the cache when there, else trained (and cached). */
    public static ModelArtifact trained(Architecture architecture, int epochs, Dataset train, Dataset test,
                                 Optional<Path> cache) throws IOException {
        Optional<Path> file = cache.map(dir -> dir.resolve(architecture.id() + "-e" + epochs + ".osprey"));
        if (file.isPresent() && Files.isRegularFile(file.get())) {
            try {
                ModelArtifact cached = ModelArtifact.read(file.get());
                LOG.info("using cached {} from {}", architecture.id(), file.get());
                return cached;
            } catch (InvalidArtifactException e) {
                LOG.warn("cached model {} is unreadable ({}); training again", file.get(), e.getMessage());
            }
        }
        TrainingSpec spec = TrainingSpec.defaults(architecture).withEpochs(epochs);
        LOG.info("training {} for {} epoch(s) on {} images ...", architecture.id(), epochs, train.size());
        TrainingResult result = new ModelTrainer().train(spec, train, test, new ProgressLog());
        LOG.info("trained {}: test accuracy {} in {} s", architecture.id(),
                String.format(Locale.ROOT, "%.4f", result.testAccuracy()), result.elapsed().toSeconds());
        if (file.isPresent()) {
            Files.createDirectories(file.get().getParent());
            result.artifact().write(file.get());
        }
        return result.artifact();
    }

    /** Logs one line per epoch. */
    private static final class ProgressLog implements TrainingListener {

        @Override
        public void onEpochEnd(EpochStats stats) {
            LOG.info("  {}", stats);
        }
    }
}
