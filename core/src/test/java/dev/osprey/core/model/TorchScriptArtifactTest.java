package dev.osprey.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.testing.TorchScriptFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchScriptArtifactTest {

    private static final InputSpec GRAY28 = new InputSpec(1, 28, 28);

    @TempDir
    Path dir;

    static ModelArtifact wrap(byte[] pt, InputSpec input, String outputs) {
        ModelManifest m = new ModelManifest("imported", 0, ModelManifest.TORCHSCRIPT, input,
                new Normalization(new float[] {0.286f}, new float[] {0.353f}), TestModels.DIGITS,
                Map.of("source", "model.pt"), Map.of(), 0, "", Instant.parse("2026-01-02T03:04:05Z"),
                outputs, ModelArtifact.sha256(pt));
        return ModelArtifact.of(m, pt);
    }

    @Test
    void manifestFieldsSurviveTheArchive() throws Exception {
        byte[] pt = {1, 2, 3};
        ModelArtifact a = wrap(pt, GRAY28, ModelManifest.PROBABILITIES);

        ModelArtifact back = ModelArtifact.fromBytes(a.toBytes());

        assertThat(back).isEqualTo(a);
        assertThat(back.manifest().torchScript()).isTrue();
        assertThat(back.manifest().outputsProbabilities()).isTrue();
        assertThat(back.manifest().sourceSha256()).isEqualTo(ModelArtifact.sha256(pt));
        assertThat(back.withVersion("imported", 3, 2).manifest().outputs()).isEqualTo(ModelManifest.PROBABILITIES);
    }

    @Test
    void osprey_own_manifests_default_to_logits_without_a_source() throws Exception {
        ModelArtifact own = TestModels.untrained(Architecture.MLP, "own", 1);

        ModelArtifact back = ModelArtifact.fromBytes(own.toBytes());

        assertThat(back.manifest().outputs()).isEqualTo(ModelManifest.LOGITS);
        assertThat(back.manifest().outputsProbabilities()).isFalse();
        assertThat(back.manifest().sourceSha256()).isNull();
        assertThat(back.manifest().torchScript()).isFalse();
    }

    @Test
    void an_unknown_outputs_value_is_refused() {
        assertThatThrownBy(() -> wrap(new byte[] {1}, GRAY28, "scores"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits or probabilities");
    }

    @Test
    void a_traced_tutorial_mlp_loads_and_passes_the_model_check() throws Exception {
        byte[] pt = Files.readAllBytes(TorchScriptFixtures.untrainedMlp(dir, false));
        ModelArtifact a = ModelArtifact.fromBytes(wrap(pt, GRAY28, ModelManifest.LOGITS).toBytes());

        try (Model model = a.newModel(Device.cpu())) {
            ModelCheck.verify(model, a.manifest());
        }
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("the temporary copy of the TorchScript file is deleted once loaded")
                    .noneMatch(n -> n.startsWith("osprey-torchscript-"));
        }
    }

    @Test
    void the_check_refuses_logits_that_claim_to_be_probabilities() throws Exception {
        byte[] logits = Files.readAllBytes(TorchScriptFixtures.untrainedMlp(dir, false));
        byte[] probabilities = Files.readAllBytes(TorchScriptFixtures.untrainedMlp(dir, true));
        ModelArtifact lying = wrap(logits, GRAY28, ModelManifest.PROBABILITIES);
        ModelArtifact honest = wrap(probabilities, GRAY28, ModelManifest.PROBABILITIES);

        try (Model model = lying.newModel(Device.cpu())) {
            assertThatThrownBy(() -> ModelCheck.verify(model, lying.manifest()))
                    .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("not in [0, 1]");
        }
        try (Model model = honest.newModel(Device.cpu())) {
            ModelCheck.verify(model, honest.manifest());
        }
    }

    @Test
    void a_model_for_another_input_fails_the_check() throws Exception {
        byte[] pt = Files.readAllBytes(TorchScriptFixtures.untrainedMlp(dir, false));
        ModelArtifact a = wrap(pt, new InputSpec(1, 32, 32), ModelManifest.LOGITS);

        try (Model model = a.newModel(Device.cpu())) {
            assertThatThrownBy(() -> ModelCheck.verify(model, a.manifest()))
                    .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("forward pass")
                    .as("one line with libtorch's reason, fit for a training event")
                    .hasMessageContaining("shapes cannot be multiplied").hasMessageNotContaining("\n");
        }
    }

    @Test
    void bytes_that_are_not_torchscript_are_refused_on_load() {
        ModelArtifact a = wrap("not a model".getBytes(), GRAY28, ModelManifest.LOGITS);

        assertThatThrownBy(() -> a.newModel(Device.cpu()))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("not a TorchScript module");
    }
}
