package dev.osprey.core.model;

import java.util.Arrays;

/**
 * How 8-bit pixels become model inputs: {@code (p / 255 - mean[c]) / std[c]} per channel.
 * Stored in the model manifest so every classifier feeds a model what it was trained on.
 */
public record Normalization(float[] mean, float[] std) {

    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std must have the same, non-zero length");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Pixels scaled to [0, 1], nothing else. */
    public static Normalization unit(int channels) {
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(s, 1f);
        return new Normalization(m, s);
    }

    /**
     * Per-channel mean and standard deviation of interleaved 8-bit pixels (HWC, as in a
     * {@code Dataset}), on the {@code [0, 1]} scale. A channel that is constant gets a standard
     * deviation of {@code 1/255} rather than 0, so normalising it stays finite.
     */
    public static Normalization fromPixels(byte[] interleaved, int channels) {
        if (channels <= 0 || interleaved.length == 0 || interleaved.length % channels != 0) {
            throw new IllegalArgumentException(interleaved.length + " pixel bytes do not hold whole pixels of "
                    + channels + " channels");
        }
        // Exact integer sums: a double accumulator over millions of pixels would lose the low bits.
        long[] sum = new long[channels];
        long[] sumSq = new long[channels];
        for (int i = 0; i < interleaved.length; i++) {
            int p = interleaved[i] & 0xFF;
            int c = i % channels;
            sum[c] += p;
            sumSq[c] += p * p;
        }
        double n = interleaved.length / channels;
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / n;
            double var = Math.max(0, sumSq[c] / n - m * m);
            mean[c] = (float) (m / 255);
            std[c] = (float) Math.max(Math.sqrt(var) / 255, 1.0 / 255);
        }
        return new Normalization(mean, std);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /** The normalised value of an unsigned pixel value {@code p} in channel {@code c}. */
    public float apply(int p, int c) {
        return (p / 255f - mean[c]) / std[c];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
