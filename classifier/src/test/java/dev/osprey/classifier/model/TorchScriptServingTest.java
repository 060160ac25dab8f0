package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.batch.Outcome;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelCheck;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.testing.TorchScriptFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An imported TorchScript model serves through the same batch classifier as Osprey's own, and a
 * model that ends in a softmax is not softmaxed twice.
 */
class TorchScriptServingTest {

    private static final InputSpec GRAY28 = new InputSpec(1, 28, 28);

    @TempDir
    Path dir;

    @Test
    void logits_and_softmax_exports_of_the_same_net_give_the_same_confidences() throws Exception {
        // The export script seeds torch, so both files hold the same weights; one ends in a softmax.
        ModelArtifact logits = imported(Files.readAllBytes(TorchScriptFixtures.untrainedMlp(dir, false)),
                ModelManifest.LOGITS, 1);
        ModelArtifact probabilities = imported(Files.readAllBytes(TorchScriptFixtures.untrainedMlp(dir, true)),
                ModelManifest.PROBABILITIES, 2);
        List<RawImage> images = noise(16);

        List<Outcome.Classified> a = classify(logits, images);
        List<Outcome.Classified> b = classify(probabilities, images);

        for (int i = 0; i < images.size(); i++) {
            assertThat(b.get(i).best()).as("class of image %d", i).isEqualTo(a.get(i).best());
            assertThat(b.get(i).confidence()).as("confidence of image %d", i)
                    .isCloseTo(a.get(i).confidence(), within(1e-4f));
            assertThat(a.get(i).confidence()).isBetween(0f, 1f);
        }
    }

    private static List<Outcome.Classified> classify(ModelArtifact artifact, List<RawImage> images) throws Exception {
        try (ModelHolder holder = new ModelHolder()) {
            var model = artifact.newModel();
            ModelCheck.verify(model, artifact.manifest());
            holder.swap(new ServingModel(artifact.manifest(), model));
            BatchResult result = new DjlBatchClassifier(holder).classify(images);
            assertThat(result.model().tag()).isEqualTo(artifact.manifest().tag());
            List<Outcome.Classified> out = new ArrayList<>();
            result.outcomes().forEach(o -> out.add((Outcome.Classified) o));
            return out;
        }
    }

    private static ModelArtifact imported(byte[] pt, String outputs, int version) {
        ModelManifest m = new ModelManifest("imported", version, ModelManifest.TORCHSCRIPT, GRAY28,
                new Normalization(new float[] {0.286f}, new float[] {0.353f}), TestModels.DIGITS,
                Map.of("source", "test"), Map.of(), 0, "", Instant.now(), outputs, ModelArtifact.sha256(pt));
        return ModelArtifact.of(m, pt);
    }

    private static List<RawImage> noise(int n) {
        Random random = new Random(7);
        List<RawImage> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[784];
            random.nextBytes(px);
            images.add(new RawImage(28, 28, 1, px));
        }
        return images;
    }
}
