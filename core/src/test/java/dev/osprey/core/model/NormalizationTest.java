package dev.osprey.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class NormalizationTest {

    @Test
    void fromPixelsMeasuresEachInterleavedChannel() {
        // Two RGB pixels: R = 0 and 255, G = 51 twice, B = 255 twice.
        byte[] px = {0, 51, (byte) 255, (byte) 255, 51, (byte) 255};

        Normalization n = Normalization.fromPixels(px, 3);

        assertThat(n.mean()[0]).isCloseTo(0.5f, within(1e-6f));
        assertThat(n.std()[0]).isCloseTo(0.5f, within(1e-6f));
        assertThat(n.mean()[1]).isCloseTo(0.2f, within(1e-6f));
        assertThat(n.std()[1]).as("constant channel").isEqualTo(1f / 255);
        assertThat(n.mean()[2]).isEqualTo(1f);
        assertThat(n.apply(255, 0)).isCloseTo(1f, within(1e-6f));
        assertThat(n.apply(51, 1)).isCloseTo(0f, within(1e-4f));
    }

    @Test
    void fromPixelsRefusesPartialPixels() {
        assertThatThrownBy(() -> Normalization.fromPixels(new byte[4], 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 channels");
        assertThatThrownBy(() -> Normalization.fromPixels(new byte[0], 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
