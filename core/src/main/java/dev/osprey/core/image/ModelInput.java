package dev.osprey.core.image;

import dev.osprey.core.model.Normalization;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Turns a {@link RawImage} into the floats a model takes for it: CHW order, each value
 * {@link Normalization#apply normalised}, converted to the model's channels and size.
 *
 * <p>{@link #fill} runs for every classified image. When the image already has the input's size
 * and channels (the normal case) it is one pass over the pixels through a 256-entry lookup table
 * per channel, with no allocation. Other images are converted first: gray is replicated to RGB,
 * RGB becomes luminance, and the size is changed by {@link ImageTransforms#resize}, provided the
 * image is close enough in shape to be resized sensibly.
 */
public final class ModelInput {

    /**
     * The lookup table of the normalisation used last. Classifiers serve one model at a time, so a
     * single entry hits nearly always; a miss only costs 256 multiply-adds per channel.
     */
    private static volatile Table lastTable;

    private ModelInput() {
    }

    /**
     * Writes {@code spec.size()} floats for {@code image} into {@code dest} from {@code offset}.
     *
     * @param norm per-channel normalisation with {@code spec.channels()} channels, or one channel
     *             used for all
     * @throws ImageRejectedException (BAD_DIMENSIONS) when the image cannot be resized sensibly
     * @throws IllegalArgumentException when {@code norm} does not fit {@code spec}
     * @throws IndexOutOfBoundsException when {@code dest} has no room from {@code offset}
     */
    public static void fill(RawImage image, InputSpec spec, Normalization norm, float[] dest, int offset)
            throws ImageRejectedException {
        Objects.checkFromIndexSize(offset, spec.size(), dest.length);
        fill(image, spec, norm, FloatBuffer.wrap(dest), offset);
    }

    /**
     * Writes {@code spec.size()} floats for {@code image} into {@code dest} from index {@code offset}
     * (absolute puts: the buffer's position and limit are not used). The classifier fills the direct
     * buffer PyTorch reads its input tensor from, so the pixels are converted once and copied never.
     *
     * @throws IndexOutOfBoundsException when {@code dest} has no room from {@code offset}
     */
    public static void fill(RawImage image, InputSpec spec, Normalization norm, FloatBuffer dest, int offset)
            throws ImageRejectedException {
        Objects.checkFromIndexSize(offset, spec.size(), dest.capacity());
        if (norm.channels() != spec.channels() && norm.channels() != 1) {
            throw new IllegalArgumentException("normalisation has " + norm.channels()
                    + " channels, the model input " + spec.channels());
        }
        RawImage sized = image;
        if (image.width() != spec.width() || image.height() != spec.height()) {
            ImageTransforms.checkResizable(image.width(), image.height(), spec.width(), spec.height());
            sized = ImageTransforms.resize(image, spec.width(), spec.height());
        }
        float[][] table = table(norm, spec.channels());
        if (sized.channels() == spec.channels()) {
            copyPlanes(sized.pixels(), sized.channels(), table, dest, offset);
        } else if (sized.channels() == 1) {
            replicateGray(sized.pixels(), table, dest, offset);
        } else {
            lumaOfRgb(sized.pixels(), table[0], dest, offset);
        }
    }

    /** {@link #fill} into a new array. */
    public static float[] toArray(RawImage image, InputSpec spec, Normalization norm) throws ImageRejectedException {
        float[] out = new float[spec.size()];
        fill(image, spec, norm, out, 0);
        return out;
    }

    private static void copyPlanes(byte[] px, int channels, float[][] table, FloatBuffer dest, int offset) {
        int n = px.length / channels;
        if (channels == 1) {
            float[] t = table[0];
            for (int i = 0; i < n; i++) {
                dest.put(offset + i, t[px[i] & 0xFF]);
            }
            return;
        }
        for (int c = 0; c < channels; c++) {
            float[] t = table[c];
            int base = offset + c * n;
            for (int i = 0, s = c; i < n; i++, s += channels) {
                dest.put(base + i, t[px[s] & 0xFF]);
            }
        }
    }

    private static void replicateGray(byte[] px, float[][] table, FloatBuffer dest, int offset) {
        int n = px.length;
        for (int c = 0; c < table.length; c++) {
            float[] t = table[c];
            int base = offset + c * n;
            for (int i = 0; i < n; i++) {
                dest.put(base + i, t[px[i] & 0xFF]);
            }
        }
    }

    private static void lumaOfRgb(byte[] px, float[] table, FloatBuffer dest, int offset) {
        int n = px.length / 3;
        for (int i = 0, s = 0; i < n; i++, s += 3) {
            dest.put(offset + i, table[ImageTransforms.luminance(px[s] & 0xFF, px[s + 1] & 0xFF, px[s + 2] & 0xFF)]);
        }
    }

    private static float[][] table(Normalization norm, int channels) {
        Table t = lastTable;
        if (t == null || t.channels != channels || (t.norm != norm && !t.norm.equals(norm))) {
            t = new Table(norm, channels);
            lastTable = t;
        }
        return t.values;
    }

    /** {@code values[c][p]} = {@code norm.apply(p, c)}: exactly the same floats, without the divisions. */
    private static final class Table {
        final Normalization norm;
        final int channels;
        final float[][] values;

        Table(Normalization norm, int channels) {
            this.norm = norm;
            this.channels = channels;
            this.values = new float[channels][256];
            for (int c = 0; c < channels; c++) {
                int nc = norm.channels() == 1 ? 0 : c;
                for (int p = 0; p < 256; p++) {
                    values[c][p] = norm.apply(p, nc);
                }
            }
        }
    }
}
