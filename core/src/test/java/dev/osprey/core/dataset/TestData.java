package dev.osprey.core.dataset;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Small datasets and file helpers for the reader tests. */
final class TestData {

    static final Path FASHION = DatasetLocator.DEBIAN_FASHION_MNIST;

    private TestData() {
    }

    /** {@code count} gray images whose pixels encode their index and position. */
    static Dataset gray(int count, int height, int width, int classes) {
        return synthetic("synthetic", count, height, width, 1, classes);
    }

    static Dataset synthetic(String name, int count, int height, int width, int channels, int classes) {
        int n = height * width * channels;
        byte[] px = new byte[count * n];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % classes;
            for (int j = 0; j < n; j++) {
                px[i * n + j] = (byte) (i * 31 + j * 7);
            }
        }
        return new Dataset(name, width, height, channels, px, labels, ClassNames.defaults(classes));
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    static byte[] gunzip(Path file) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    /** Skips the calling test, with the reason, where Debian's Fashion-MNIST is not installed. */
    static void assumeFashionMnist() {
        assumeThat(List.of("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz").stream()
                .allMatch(f -> Files.isRegularFile(FASHION.resolve(f))))
                .as("Fashion-MNIST is not installed at %s (Debian package dataset-fashion-mnist)", FASHION)
                .isTrue();
    }
}
