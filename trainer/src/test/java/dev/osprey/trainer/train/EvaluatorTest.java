package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    private static final List<String> CLASSES = List.of("a", "b", "c");

    @Test
    void confusionCountsEveryLabelledImageOnce() throws Exception {
        int n = 600;
        Dataset data = randomData(n);
        ModelArtifact artifact = untrainedMlp(data.inputSpec());

        Evaluator.Evaluation e;
        try (Model model = artifact.newModel(Device.cpu())) {
            e = Evaluator.evaluate(model, artifact.manifest(), data);
            assertThat(Evaluator.accuracy(model, artifact.manifest(), data)).isEqualTo(e.accuracy());
        }

        int labelled = (int) Arrays.stream(data.labels()).filter(l -> l >= 0).count();
        assertThat(e.total()).isEqualTo(labelled);
        assertThat(Arrays.stream(e.confusion()).flatMapToInt(Arrays::stream).sum()).isEqualTo(labelled);
        int[] perTruth = new int[3];
        for (int l : data.labels()) {
            if (l >= 0) {
                perTruth[l]++;
            }
        }
        for (int c = 0; c < 3; c++) {
            assertThat(Arrays.stream(e.confusion()[c]).sum()).isEqualTo(perTruth[c]);
        }
        assertThat(e.meanLoss()).isFinite().isPositive();
        assertThat(e.perClassAccuracy()).hasSize(3);
        assertThat(e.accuracy()).isEqualTo((double) e.correct() / e.total());
    }

    @Test
    void refusesDataOfAnotherShape() throws Exception {
        ModelArtifact artifact = untrainedMlp(new InputSpec(1, 6, 6));
        Dataset other = new Dataset("other", 5, 5, 1, new byte[25], new int[] {0}, CLASSES);

        try (Model model = artifact.newModel(Device.cpu())) {
            assertThatThrownBy(() -> Evaluator.evaluate(model, artifact.manifest(), other))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1x5x5");
        }
    }

    private static Dataset randomData(int n) {
        Random r = new Random(5);
        byte[] px = new byte[n * 36];
        r.nextBytes(px);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 7 == 0 ? -1 : r.nextInt(3);
        }
        return new Dataset("random", 6, 6, 1, px, labels, CLASSES);
    }

    private static ModelArtifact untrainedMlp(InputSpec input) {
        try (Model model = Model.newInstance("u", Device.cpu(), ModelArtifact.ENGINE)) {
            Block block = Architecture.MLP.newBlock(input, CLASSES.size());
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, input.height(), input.width()));
            ModelManifest m = new ModelManifest("u", 0, "mlp", input, Normalization.unit(1), CLASSES, Map.of(),
                    Map.of(), 0, "", Instant.EPOCH);
            return ModelArtifact.of(m, BlockWeights.save(block));
        }
    }
}
