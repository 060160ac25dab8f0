package dev.osprey.core.image;

import java.util.Arrays;
import java.util.Random;

/** Deterministic images for tests. */
final class TestImages {

    private TestImages() {
    }

    /** Pixels with every channel distinct and all 256 values used, so channel mix-ups show. */
    static RawImage pattern(int width, int height, int channels) {
        byte[] px = new byte[width * height * channels];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < channels; c++) {
                    px[(y * width + x) * channels + c] = (byte) (x * 7 + y * 13 + c * 85);
                }
            }
        }
        return new RawImage(width, height, channels, px);
    }

    static RawImage random(int width, int height, int channels, long seed) {
        byte[] px = new byte[width * height * channels];
        new Random(seed).nextBytes(px);
        return new RawImage(width, height, channels, px);
    }

    static RawImage constant(int width, int height, int channels, int value) {
        byte[] px = new byte[width * height * channels];
        Arrays.fill(px, (byte) value);
        return new RawImage(width, height, channels, px);
    }
}
