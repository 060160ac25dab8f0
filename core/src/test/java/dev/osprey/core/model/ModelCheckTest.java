package dev.osprey.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.osprey.core.testing.HostileModels;
import dev.osprey.core.testing.TestModels;
import org.junit.jupiter.api.Test;

/** The load-time check refuses real models whose weights are broken, at a realistic batch size. */
class ModelCheckTest {

    private final ModelArtifact good = TestModels.untrained(Architecture.MLP, "digits", 1);

    @Test
    void aGoodModelPassesAtAFullBatch() throws Exception {
        try (Model model = good.newModel(Device.cpu())) {
            assertThatCode(() -> ModelCheck.verify(model, good.manifest(), 256)).doesNotThrowAnyException();
        }
    }

    @Test
    void nanWeightsAreRefused() throws Exception {
        ModelArtifact nan = HostileModels.withWeights(good, 2, Float.NaN, 1);
        try (Model model = nan.newModel(Device.cpu())) {
            assertThatThrownBy(() -> ModelCheck.verify(model, nan.manifest(), 256))
                    .isInstanceOf(InvalidArtifactException.class)
                    .hasMessageContaining("digits:v2").hasMessageContaining("NaN").hasMessageContaining("broken");
        }
    }

    @Test
    void weightsThatOverflowOnRealImagesAreRefusedThoughZerosPass() throws Exception {
        ModelArtifact overflowing = HostileModels.withWeights(good, 2, Float.MAX_VALUE, 2);
        try (Model model = overflowing.newModel(Device.cpu())) {
            // What the old check did: a zero batch gives finite logits.
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDList out = model.getBlock().forward(new ParameterStore(manager, false),
                        new NDList(manager.zeros(new Shape(2, 1, 28, 28), DataType.FLOAT32)), false);
                for (float v : out.head().toFloatArray()) {
                    assertThat(v).isFinite();
                }
            }
            assertThatThrownBy(() -> ModelCheck.verify(model, overflowing.manifest(), 256))
                    .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("the weights are broken");
        }
    }

    @Test
    void tooManyParametersAreRefused() {
        assertThatThrownBy(() -> ArtifactLimits.checkParameters(good.manifest(), ArtifactLimits.MAX_PARAMETERS + 1))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("parameters, more than");
        assertThatCode(() -> ArtifactLimits.checkParameters(good.manifest(), ArtifactLimits.MAX_PARAMETERS))
                .doesNotThrowAnyException();
    }

    @Test
    void aZipBombOfARealManifestIsRefusedBeforeItInflates() {
        byte[] bomb = HostileModels.zipBomb(good, 2, 256L << 20);
        assertThat(bomb.length).isLessThan(1 << 20);
        assertThatThrownBy(() -> ModelArtifact.fromBytes(bomb)).isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("inflates more than 50:1");
    }
}
