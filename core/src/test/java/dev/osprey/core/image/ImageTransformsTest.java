package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageTransformsTest {

    private static RawImage row(int... values) {
        byte[] px = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            px[i] = (byte) values[i];
        }
        return new RawImage(values.length, 1, 1, px);
    }

    @Test
    void enlargingIsBilinearWithHalfPixelCentres() {
        // Output centres fall at source x = -0.25 (clamped), 0.25, 0.75 and 1.25 (clamped).
        assertThat(ImageTransforms.resize(row(0, 100), 4, 1)).isEqualTo(row(0, 25, 75, 100));
    }

    @Test
    void shrinkingAveragesAreas() {
        assertThat(ImageTransforms.resize(row(0, 10, 20, 30), 2, 1)).isEqualTo(row(5, 25));
        // 3 -> 2: each output covers 1.5 source pixels.
        assertThat(ImageTransforms.resize(row(0, 90, 180), 2, 1)).isEqualTo(row(30, 150));
    }

    @Test
    void sameSizeIsTheSameImage() {
        RawImage image = TestImages.pattern(3, 3, 3);
        assertThat(ImageTransforms.resize(image, 3, 3)).isSameAs(image);
    }

    @Test
    void resizeKeepsChannelsApart() {
        RawImage rgb = new RawImage(2, 2, 3, new byte[] {10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30});
        RawImage big = ImageTransforms.resize(rgb, 5, 3);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                assertThat(new int[] {big.get(x, y, 0), big.get(x, y, 1), big.get(x, y, 2)})
                        .containsExactly(10, 20, 30);
            }
        }
    }

    @Test
    void channelConversions() {
        RawImage gray = row(0, 128, 255);
        RawImage rgb = ImageTransforms.withChannels(gray, 3);
        assertThat(rgb.pixels()).containsExactly(0, 0, 0, -128, -128, -128, -1, -1, -1);
        assertThat(ImageTransforms.withChannels(rgb, 1)).isEqualTo(gray);
        assertThat(ImageTransforms.luminance(255, 0, 0)).isEqualTo(76);
        assertThat(ImageTransforms.luminance(0, 255, 0)).isEqualTo(150);
        assertThat(ImageTransforms.luminance(0, 0, 255)).isEqualTo(29);
    }

    @Test
    void resizableLimits() {
        assertThatCode(() -> ImageTransforms.checkResizable(28, 56, 28, 28)).doesNotThrowAnyException();
        assertThatThrownBy(() -> ImageTransforms.checkResizable(28, 57, 28, 28))
                .isInstanceOf(ImageRejectedException.class).hasMessageContaining("aspect ratio");
        assertThatThrownBy(() -> ImageTransforms.checkResizable(6, 7, 28, 28))
                .isInstanceOf(ImageRejectedException.class).hasMessageContaining("quarter");
    }
}
