package dev.osprey.trainer.train;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.model.Normalization;
import java.util.Random;

/**
 * Builds model input batches straight from a dataset's flat HWC byte array: CHW floats, each
 * {@code norm.apply(p, c)} exactly as the classifier's {@code ModelInput.fill} computes it (through
 * the same kind of 256-entry table per channel), so a model is evaluated on what it will be served.
 */
final class Batches {

    private final Dataset data;
    private final float[][] table;
    private final int plane;
    private final int channels;

    Batches(Dataset data, Normalization norm) {
        if (norm.channels() != data.channels()) {
            throw new IllegalArgumentException("normalisation has " + norm.channels() + " channels, dataset "
                    + data.name() + " " + data.channels());
        }
        this.data = data;
        this.channels = data.channels();
        this.plane = data.width() * data.height();
        this.table = new float[channels][256];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < 256; p++) {
                table[c][p] = norm.apply(p, c);
            }
        }
    }

    /** Floats per image. */
    int imageSize() {
        return plane * channels;
    }

    /**
     * Writes images {@code indices[from .. from+count)} into {@code pixels} (CHW, one after the other)
     * and their labels into {@code labels}.
     */
    void fill(int[] indices, int from, int count, float[] pixels, float[] labels) {
        byte[] px = data.pixels();
        int size = imageSize();
        for (int k = 0; k < count; k++) {
            int image = indices[from + k];
            int src = image * size;
            int dst = k * size;
            if (channels == 1) {
                float[] t = table[0];
                for (int i = 0; i < plane; i++) {
                    pixels[dst + i] = t[px[src + i] & 0xFF];
                }
            } else {
                for (int c = 0; c < channels; c++) {
                    float[] t = table[c];
                    int base = dst + c * plane;
                    for (int i = 0, s = src + c; i < plane; i++, s += channels) {
                        pixels[base + i] = t[px[s] & 0xFF];
                    }
                }
            }
            labels[k] = data.label(image);
        }
    }

    /**
     * Like {@link #fill}, but each image moved by a random offset of up to {@code maxShift} pixels
     * along each axis, the uncovered border black (byte 0): a training-time augmentation that keeps
     * the label of any kind of picture (digits, clothes, photos), unlike a mirror image.
     */
    void fillShifted(int[] indices, int from, int count, float[] pixels, float[] labels, Random random,
                     int maxShift) {
        byte[] px = data.pixels();
        int width = data.width();
        int height = data.height();
        int size = imageSize();
        for (int k = 0; k < count; k++) {
            int image = indices[from + k];
            int dx = random.nextInt(2 * maxShift + 1) - maxShift;
            int dy = random.nextInt(2 * maxShift + 1) - maxShift;
            int src = image * size;
            int dst = k * size;
            for (int c = 0; c < channels; c++) {
                float[] t = table[c];
                int base = dst + c * plane;
                for (int y = 0; y < height; y++) {
                    int sy = y - dy;
                    for (int x = 0; x < width; x++) {
                        int sx = x - dx;
                        boolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                        int p = inside ? px[src + (sy * width + sx) * channels + c] & 0xFF : 0;
                        pixels[base + y * width + x] = t[p];
                    }
                }
            }
            labels[k] = data.label(image);
        }
    }

    /** Indices of the images that have a label, in order. */
    static int[] labelled(Dataset data) {
        int n = 0;
        for (int i = 0; i < data.size(); i++) {
            if (data.label(i) >= 0) {
                n++;
            }
        }
        int[] out = new int[n];
        for (int i = 0, j = 0; i < data.size(); i++) {
            if (data.label(i) >= 0) {
                out[j++] = i;
            }
        }
        return out;
    }

    /**
     * Batches per epoch for {@code images} images: a last partial batch is kept unless it would hold a
     * single image, whose batch-norm variance is undefined.
     */
    static int count(int images, int batchSize) {
        int full = images / batchSize;
        int rest = images % batchSize;
        return rest >= 2 || full == 0 ? full + 1 : full;
    }

    /** A Fisher-Yates shuffle of a copy of {@code indices}, drawn from {@code random}. */
    static int[] shuffled(int[] indices, Random random) {
        int[] order = indices.clone();
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
