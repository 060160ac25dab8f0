package dev.osprey.core.image;

import java.util.Locale;

/**
 * Size and channel conversions between 8-bit images: the same arithmetic for model input
 * ({@link ModelInput}) and for datasets made uniform ({@code ImageFolderReader}), so a model sees
 * at serving time what it saw in training.
 */
public final class ImageTransforms {

    /** Luminance weights (ITU-R BT.601), scaled to integers so the result is exact and repeatable. */
    private static final int LUMA_R = 299;
    private static final int LUMA_G = 587;
    private static final int LUMA_B = 114;
    private static final int LUMA_SCALE = 1000;

    /** Beyond this the picture would be squashed or blown up into something else. */
    private static final double MAX_ASPECT_FACTOR = 2.0;
    private static final int MIN_SIZE_DIVISOR = 4;

    private ImageTransforms() {
    }

    /** The gray value of an RGB pixel, rounded: {@code 0.299 R + 0.587 G + 0.114 B}. */
    public static int luminance(int r, int g, int b) {
        return (LUMA_R * r + LUMA_G * g + LUMA_B * b + LUMA_SCALE / 2) / LUMA_SCALE;
    }

    /**
     * Checks that an image of {@code width x height} can become {@code targetWidth x targetHeight}:
     * aspect ratios within a factor of two, and neither side below a quarter of the target.
     */
    public static void checkResizable(int width, int height, int targetWidth, int targetHeight)
            throws ImageRejectedException {
        double aspect = (double) width / height;
        double targetAspect = (double) targetWidth / targetHeight;
        double factor = aspect / targetAspect;
        boolean aspectOk = factor <= MAX_ASPECT_FACTOR && factor >= 1 / MAX_ASPECT_FACTOR;
        boolean bigEnough = (long) width * MIN_SIZE_DIVISOR >= targetWidth
                && (long) height * MIN_SIZE_DIVISOR >= targetHeight;
        if (!aspectOk || !bigEnough) {
            throw new ImageRejectedException(RejectReason.BAD_DIMENSIONS, String.format(Locale.ROOT,
                    "image %dx%d cannot be resized sensibly to %dx%d: %s", width, height, targetWidth,
                    targetHeight, aspectOk
                            ? "it is smaller than a quarter of that size"
                            : String.format(Locale.ROOT, "aspect ratio %.2f differs from %.2f by more than 2x",
                                    aspect, targetAspect)));
        }
    }

    /** The image with {@code channels} channels: gray is replicated, RGB becomes luminance. */
    public static RawImage withChannels(RawImage image, int channels) {
        if (image.channels() == channels) {
            return image;
        }
        byte[] src = image.pixels();
        int n = image.width() * image.height();
        byte[] out = new byte[n * channels];
        if (channels == 3) {
            for (int i = 0, o = 0; i < n; i++) {
                byte v = src[i];
                out[o++] = v;
                out[o++] = v;
                out[o++] = v;
            }
        } else if (channels == 1) {
            for (int i = 0, s = 0; i < n; i++, s += 3) {
                out[i] = (byte) luminance(src[s] & 0xFF, src[s + 1] & 0xFF, src[s + 2] & 0xFF);
            }
        } else {
            throw new IllegalArgumentException("channels must be 1 or 3, not " + channels);
        }
        return new RawImage(image.width(), image.height(), channels, out);
    }

    /**
     * The image resampled to {@code width x height}, each axis on its own: bilinear (half-pixel
     * centres, as PyTorch's {@code align_corners=False}) when enlarging, area averaging when
     * shrinking, so a large photo is not aliased into noise. Values are rounded to 8 bits.
     */
    public static RawImage resize(RawImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive: " + width + "x" + height);
        }
        if (image.width() == width && image.height() == height) {
            return image;
        }
        int c = image.channels();
        Weights wx = Weights.of(image.width(), width);
        Weights wy = Weights.of(image.height(), height);
        // Horizontal pass into floats, then vertical pass: rounding happens once, at the end.
        float[] rows = new float[image.height() * width * c];
        byte[] src = image.pixels();
        for (int y = 0; y < image.height(); y++) {
            int srcRow = y * image.width() * c;
            int dstRow = y * width * c;
            for (int x = 0; x < width; x++) {
                for (int k = 0; k < wx.count[x]; k++) {
                    int s = srcRow + (wx.start[x] + k) * c;
                    float w = wx.weight[x][k];
                    for (int ch = 0; ch < c; ch++) {
                        rows[dstRow + x * c + ch] += w * (src[s + ch] & 0xFF);
                    }
                }
            }
        }
        byte[] out = new byte[width * height * c];
        int rowLength = width * c;
        for (int y = 0; y < height; y++) {
            for (int i = 0; i < rowLength; i++) {
                float v = 0;
                for (int k = 0; k < wy.count[y]; k++) {
                    v += wy.weight[y][k] * rows[(wy.start[y] + k) * rowLength + i];
                }
                out[y * rowLength + i] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
        return new RawImage(width, height, c, out);
    }

    /** For each output index along one axis: the first source index and the weights from there. */
    private static final class Weights {
        final int[] start;
        final int[] count;
        final float[][] weight;

        private Weights(int n) {
            start = new int[n];
            count = new int[n];
            weight = new float[n][];
        }

        static Weights of(int src, int dst) {
            return dst < src ? area(src, dst) : bilinear(src, dst);
        }

        private static Weights bilinear(int src, int dst) {
            Weights w = new Weights(dst);
            double scale = (double) src / dst;
            for (int i = 0; i < dst; i++) {
                double x = Math.max(0, Math.min(src - 1, (i + 0.5) * scale - 0.5));
                int x0 = (int) Math.floor(x);
                int x1 = Math.min(x0 + 1, src - 1);
                float f = (float) (x - x0);
                w.start[i] = x0;
                if (x1 == x0 || f == 0f) {
                    w.count[i] = 1;
                    w.weight[i] = new float[] {1f};
                } else {
                    w.count[i] = 2;
                    w.weight[i] = new float[] {1f - f, f};
                }
            }
            return w;
        }

        private static Weights area(int src, int dst) {
            Weights w = new Weights(dst);
            double scale = (double) src / dst;
            for (int i = 0; i < dst; i++) {
                double from = i * scale;
                double to = Math.min(src, (i + 1) * scale);
                int first = (int) Math.floor(from);
                int last = Math.min(src - 1, (int) Math.ceil(to) - 1);
                w.start[i] = first;
                w.count[i] = last - first + 1;
                w.weight[i] = new float[w.count[i]];
                for (int k = 0; k < w.count[i]; k++) {
                    double lo = Math.max(from, first + k);
                    double hi = Math.min(to, first + k + 1);
                    w.weight[i][k] = (float) ((hi - lo) / scale);
                }
            }
            return w;
        }
    }
}
