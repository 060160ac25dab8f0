package dev.osprey.core.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * An 8-bit image in memory: {@code height} rows of {@code width} pixels, each pixel
 * {@code channels} bytes (1 = gray, 3 = RGB), interleaved (HWC order).
 *
 * <p>Equality is by content, so images can be compared in tests and used as values.
 */
public record RawImage(int width, int height, int channels, byte[] pixels) {

    public RawImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image dimensions must be positive: " + width + "x" + height);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, not " + channels);
        }
        Objects.requireNonNull(pixels, "pixels");
        if (pixels.length != width * height * channels) {
            throw new IllegalArgumentException("expected " + width * height * channels + " pixel bytes for "
                    + width + "x" + height + "x" + channels + ", got " + pixels.length);
        }
    }

    /** The unsigned value of channel {@code c} of the pixel at ({@code x}, {@code y}). */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * channels + c] & 0xFF;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawImage other
                && width == other.width && height == other.height && channels == other.channels
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(width, height, channels) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "RawImage[" + width + "x" + height + "x" + channels + "]";
    }
}
