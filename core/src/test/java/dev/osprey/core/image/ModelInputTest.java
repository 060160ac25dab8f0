package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.core.model.Normalization;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ModelInputTest {

    private static final Normalization MNIST = new Normalization(new float[] {0.1307f}, new float[] {0.3081f});
    private static final Normalization CIFAR = new Normalization(new float[] {0.4914f, 0.4822f, 0.4465f},
            new float[] {0.2470f, 0.2435f, 0.2616f});

    @Test
    void grayIsNormalisedPixelByPixel() throws Exception {
        RawImage image = new RawImage(2, 1, 1, new byte[] {0, (byte) 255});
        float[] out = ModelInput.toArray(image, new InputSpec(1, 1, 2), MNIST);
        assertThat(out[0]).isCloseTo((0f - 0.1307f) / 0.3081f, within(1e-6f));
        assertThat(out[1]).isCloseTo((1f - 0.1307f) / 0.3081f, within(1e-6f));
    }

    @Test
    void rgbIsWrittenAsChannelPlanesWithPerChannelNormalisation() throws Exception {
        RawImage image = TestImages.pattern(5, 3, 3);
        InputSpec spec = new InputSpec(3, 3, 5);
        float[] out = ModelInput.toArray(image, spec, CIFAR);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 5; x++) {
                    // Exactly Normalization.apply: the lookup table must not change a single bit.
                    assertThat(out[c * 15 + y * 5 + x]).isEqualTo(CIFAR.apply(image.get(x, y, c), c));
                }
            }
        }
    }

    @Test
    void fillWritesOnlyItsWindowOfTheBatch() throws Exception {
        float[] batch = new float[3 * 4];
        Arrays.fill(batch, 42f);
        ModelInput.fill(TestImages.constant(2, 2, 1, 255), new InputSpec(1, 2, 2), Normalization.unit(1), batch, 4);
        assertThat(batch).containsExactly(42f, 42f, 42f, 42f, 1f, 1f, 1f, 1f, 42f, 42f, 42f, 42f);
        assertThatThrownBy(() -> ModelInput.fill(TestImages.constant(2, 2, 1, 0), new InputSpec(1, 2, 2),
                Normalization.unit(1), batch, 9)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void grayIsReplicatedForAnRgbModel() throws Exception {
        RawImage gray = TestImages.pattern(4, 4, 1);
        float[] out = ModelInput.toArray(gray, new InputSpec(3, 4, 4), CIFAR);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 16; i++) {
                assertThat(out[c * 16 + i]).isEqualTo(CIFAR.apply(gray.pixels()[i] & 0xFF, c));
            }
        }
    }

    @Test
    void rgbBecomesLuminanceForAGrayModel() throws Exception {
        RawImage rgb = new RawImage(2, 1, 3, new byte[] {(byte) 255, 0, 0, 10, 100, (byte) 200});
        float[] out = ModelInput.toArray(rgb, new InputSpec(1, 1, 2), Normalization.unit(1));
        assertThat(out[0] * 255).isCloseTo(76f, within(1e-3f));                 // round(0.299 * 255)
        assertThat(out[1] * 255).isCloseTo(Math.round(0.299 * 10 + 0.587 * 100 + 0.114 * 200), within(1e-3f));
    }

    @Test
    void oneChannelNormalisationAppliesToAllChannels() throws Exception {
        float[] out = ModelInput.toArray(TestImages.constant(1, 1, 3, 51), new InputSpec(3, 1, 1),
                Normalization.unit(1));
        assertThat(out).containsExactly(0.2f, 0.2f, 0.2f);
    }

    @Test
    void normalisationWithOtherChannelsIsAProgrammingError() {
        assertThatThrownBy(() -> ModelInput.toArray(TestImages.constant(1, 1, 1, 0), new InputSpec(1, 1, 1), CIFAR))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
    }

    @Test
    void smallerImagesAreEnlarged() throws Exception {
        float[] out = ModelInput.toArray(TestImages.constant(14, 14, 1, 128), new InputSpec(1, 28, 28),
                Normalization.unit(1));
        assertThat(out).hasSize(784);
        for (float v : out) {
            assertThat(v).isEqualTo(128 / 255f);
        }
    }

    @Test
    void largerImagesAreAreaAveraged() throws Exception {
        // A one-pixel checkerboard halved: every output pixel averages two black and two white.
        byte[] px = new byte[56 * 56];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (((i % 56) + (i / 56)) % 2 == 0 ? 0 : 200);
        }
        float[] out = ModelInput.toArray(new RawImage(56, 56, 1, px), new InputSpec(1, 28, 28),
                Normalization.unit(1));
        for (float v : out) {
            assertThat(v * 255).isCloseTo(100f, within(1e-3f));
        }
    }

    @Test
    void aspectRatioTooFarOffIsRejected() {
        assertThatThrownBy(() -> ModelInput.toArray(TestImages.constant(100, 40, 1, 0), new InputSpec(1, 28, 28),
                Normalization.unit(1)))
                .isInstanceOfSatisfying(ImageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_DIMENSIONS))
                .hasMessageContaining("100x40").hasMessageContaining("cannot be resized sensibly");
    }

    @Test
    void aspectRatioWithinTwiceIsAccepted() throws Exception {
        assertThat(ModelInput.toArray(TestImages.constant(56, 28, 1, 9), new InputSpec(1, 28, 28),
                Normalization.unit(1))).hasSize(784);
    }

    @Test
    void tooSmallIsRejected() {
        assertThatThrownBy(() -> ModelInput.toArray(TestImages.constant(6, 6, 1, 0), new InputSpec(1, 28, 28),
                Normalization.unit(1)))
                .isInstanceOfSatisfying(ImageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_DIMENSIONS))
                .hasMessageContaining("quarter");
    }

    @Test
    void aQuarterOfTheSizeIsStillAccepted() throws Exception {
        assertThat(ModelInput.toArray(TestImages.constant(7, 7, 1, 0), new InputSpec(1, 28, 28),
                Normalization.unit(1))).hasSize(784);
    }

    @Test
    void resizeAndChannelConversionCombine() throws Exception {
        float[] out = ModelInput.toArray(TestImages.constant(64, 64, 3, 90), new InputSpec(1, 32, 32),
                Normalization.unit(1));
        assertThat(out).hasSize(1024).containsOnly(90 / 255f);
    }
}
