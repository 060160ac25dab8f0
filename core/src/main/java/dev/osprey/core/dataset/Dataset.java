package dev.osprey.core.dataset;

import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A labelled image set held in memory as one flat byte array: image {@code i} occupies
 * {@code imageBytes()} bytes from {@code i * imageBytes()}, HWC order, 8-bit.
 *
 * @param name        a short name for logs and model manifests, e.g. {@code fashion-mnist/train}
 * @param labels      class index per image, in {@code [0, classNames.size())}; -1 where unknown
 * @param classNames  the human names of the classes, index = class
 */
public record Dataset(String name, int width, int height, int channels, byte[] pixels, int[] labels,
                      List<String> classNames) {

    public Dataset {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        classNames = List.copyOf(classNames);
        long expected = (long) labels.length * width * height * channels;
        if (pixels.length != expected) {
            throw new IllegalArgumentException("dataset " + name + ": " + labels.length + " images of "
                    + width + "x" + height + "x" + channels + " need " + expected + " bytes, got " + pixels.length);
        }
    }

    public int size() {
        return labels.length;
    }

    public int imageBytes() {
        return width * height * channels;
    }

    public InputSpec inputSpec() {
        return new InputSpec(channels, height, width);
    }

    /** A copy of image {@code i}. */
    public RawImage image(int i) {
        int n = imageBytes();
        return new RawImage(width, height, channels, Arrays.copyOfRange(pixels, i * n, (i + 1) * n));
    }

    public int label(int i) {
        return labels[i];
    }

    /** The first {@code n} images (or all, if fewer). */
    public Dataset head(int n) {
        int k = Math.min(n, size());
        return new Dataset(name, width, height, channels, Arrays.copyOf(pixels, k * imageBytes()),
                Arrays.copyOf(labels, k), classNames);
    }

    /** The images whose index is listed, in that order. */
    public Dataset select(int[] indices) {
        int n = imageBytes();
        byte[] px = new byte[indices.length * n];
        int[] lb = new int[indices.length];
        for (int j = 0; j < indices.length; j++) {
            System.arraycopy(pixels, indices[j] * n, px, j * n, n);
            lb[j] = labels[indices[j]];
        }
        return new Dataset(name, width, height, channels, px, lb, classNames);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dataset d && name.equals(d.name) && width == d.width && height == d.height
                && channels == d.channels && Arrays.equals(pixels, d.pixels) && Arrays.equals(labels, d.labels)
                && classNames.equals(d.classNames);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, width, height, channels, classNames) * 31 + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " images " + width + "x" + height + "x" + channels
                + ", " + classNames.size() + " classes]";
    }
}
