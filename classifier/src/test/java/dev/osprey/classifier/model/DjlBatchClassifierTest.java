package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.LambdaBlock;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.batch.InferenceException;
import dev.osprey.classifier.batch.Outcome;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link DjlBatchClassifier}: ranking scores, and what a model that misbehaves yields. */
class DjlBatchClassifierTest {

    @Nested
    class Top {

        @Test
        void theThreeHighestScoresMostProbableFirst() {
            Outcome.Classified c = DjlBatchClassifier.top(new float[] {0.1f, 0.5f, 0.05f, 0.3f, 0.05f}, 0, 5);
            assertThat(c.topClasses()).containsExactly(1, 3, 0);
            assertThat(c.topScores()).containsExactly(0.5f, 0.3f, 0.1f);
            assertThat(c.best()).isEqualTo(1);
            assertThat(c.confidence()).isEqualTo(0.5f);
        }

        @Test
        void readsOnlyItsOwnRowOfABatch() {
            float[] twoRows = {0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f};
            assertThat(DjlBatchClassifier.top(twoRows, 3, 3).topClasses()).containsExactly(2, 0, 1);
        }

        @Test
        void fewerClassesThanThreeGiveThemAll() {
            Outcome.Classified c = DjlBatchClassifier.top(new float[] {0.25f, 0.75f}, 0, 2);
            assertThat(c.topClasses()).containsExactly(1, 0);
            assertThat(c.topScores()).containsExactly(0.75f, 0.25f);
        }

        @Test
        void equalScoresKeepTheLowerClassFirst() {
            Outcome.Classified c = DjlBatchClassifier.top(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, 0, 4);
            assertThat(c.topClasses()).containsExactly(0, 1, 2);
        }

        @Test
        void negativeScoresAreRankedTooNeverReplacedByAPlaceholder() {
            // Logits rather than probabilities: below the old -1 placeholder.
            Outcome.Classified c = DjlBatchClassifier.top(new float[] {-5f, -2f, -9f, -3f}, 0, 4);
            assertThat(c.topClasses()).containsExactly(1, 3, 0);
            assertThat(c.topScores()).containsExactly(-2f, -3f, -5f);
        }
    }

    private static final InputSpec INPUT = new InputSpec(1, 28, 28);

    private static ModelManifest manifest(List<String> classes) {
        return new ModelManifest("lambda", 1, "mlp", INPUT, Normalization.unit(1), classes, Map.of(), Map.of(), 0,
                "00", Instant.EPOCH);
    }

    /** A model without parameters whose forward pass is {@code forward}, served from a holder. */
    private static BatchResult classify(List<String> classes, Function<NDArray, NDArray> forward,
                                        List<RawImage> images) {
        Model model = Model.newInstance("lambda", ModelArtifact.ENGINE);
        model.setBlock(new LambdaBlock(in -> new NDList(forward.apply(in.singletonOrThrow()))));
        try (ModelHolder holder = new ModelHolder()) {
            holder.swap(new ServingModel(manifest(classes), model));
            return new DjlBatchClassifier(holder).classify(images);
        }
    }

    private static RawImage image(int firstPixel) {
        byte[] px = new byte[28 * 28];
        Arrays.fill(px, (byte) 10);
        px[0] = (byte) firstPixel;
        return new RawImage(28, 28, 1, px);
    }

    /** Scores: the first three pixels of each image, divided by its first pixel (0 / 0 is NaN). */
    private static NDArray firstPixels(NDArray x) {
        NDArray flat = x.reshape(x.getShape().get(0), -1);
        return flat.get(":, 0:3").div(flat.get(":, 0:1"));
    }

    @Test
    void aRowOfNonFiniteScoresIsRefusedAndTheOthersAreClassified() {
        BatchResult result = classify(List.of("a", "b", "c"), DjlBatchClassifierTest::firstPixels,
                List.of(image(200), image(0), image(100)));
        assertThat(result.outcomes().get(0)).isInstanceOf(Outcome.Classified.class);
        assertThat(result.outcomes().get(2)).isInstanceOf(Outcome.Classified.class);
        assertThat(result.outcomes().get(1)).isInstanceOfSatisfying(Outcome.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(RejectReason.MODEL_OUTPUT_INVALID));
        Outcome.Classified ok = (Outcome.Classified) result.outcomes().get(0);
        assertThat(ok.confidence()).isBetween(0f, 1f);
    }

    @Test
    void scoresThatDoNotMatchTheManifestsClassesAreRefused() {
        BatchResult result = classify(List.of("a", "b"), DjlBatchClassifierTest::firstPixels,
                List.of(image(200), image(100)));
        assertThat(result.outcomes()).allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(Outcome.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(RejectReason.MODEL_OUTPUT_INVALID)));
    }

    @Test
    void aForwardPassThatThrowsIsAnInferenceExceptionForTheCallerToSplit() {
        assertThatThrownBy(() -> classify(List.of("a", "b", "c"), x -> {
            throw new EngineException("native failure");
        }, List.of(image(1), image(2))))
                .isInstanceOf(InferenceException.class)
                .hasMessageContaining("2 image(s)")
                .hasRootCauseMessage("native failure");
    }
}
