package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestBuilderTest {

    private static final List<String> CLASSES = List.of("a", "b");

    @Test
    void recordsTheRecipeTheDataAndTheBestScores() {
        Dataset train = new Dataset("tiny", 2, 2, 1, new byte[16], new int[] {0, 1, -1, 1}, CLASSES);
        Dataset test = new Dataset("tiny-test", 2, 2, 1, new byte[8], new int[] {1, 0}, CLASSES);
        TrainingSpec spec = TrainingSpec.defaults(Architecture.MLP).withEpochs(5).withLearningRate(1e-3f)
                .withSeed(11).withModelName("m");
        BestEpochCheckpoint best = new BestEpochCheckpoint();
        best.measured(0.75, 0.5);
        Instant at = Instant.parse("2026-01-02T03:04:05Z");

        ModelManifest m = new ManifestBuilder(spec, train, test, Normalization.unit(1))
                .build(3, best, TrainingResult.StopReason.TIME_LIMIT, 1, Duration.ofMillis(12_345), at);

        assertThat(m.name()).isEqualTo("m");
        assertThat(m.version()).isZero();
        assertThat(m.parentVersion()).isZero();
        assertThat(m.architecture()).isEqualTo("mlp");
        assertThat(m.input()).isEqualTo(new InputSpec(1, 2, 2));
        assertThat(m.classes()).isEqualTo(CLASSES);
        assertThat(m.createdAt()).isEqualTo(at);
        assertThat(m.training()).containsEntry("dataset", "tiny").containsEntry("testDataset", "tiny-test")
                .containsEntry("trainSize", 3).containsEntry("testSize", 2).containsEntry("epochs", 3)
                .containsEntry("epochsRequested", 5).containsEntry("bestEpoch", 0)
                .containsEntry("learningRate", 0.001).containsEntry("seed", 11).containsEntry("fineTune", false)
                .containsEntry("stopReason", "time_limit").containsEntry("rollbacks", 1)
                .containsEntry("trainSeconds", 12.3);
        // Epoch 0 has no training loss: it is left out rather than written as NaN.
        assertThat(m.metrics()).containsEntry(ModelTrainer.METRIC_ACCURACY, 0.75)
                .containsEntry(ModelTrainer.METRIC_LOSS, 0.5).doesNotContainKey(ModelTrainer.METRIC_TRAIN_LOSS);
    }
}
