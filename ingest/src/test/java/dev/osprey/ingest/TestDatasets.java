package dev.osprey.ingest;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.IdxWriter;
import dev.osprey.core.dataset.Split;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Small deterministic datasets for ingest tests. */
final class TestDatasets {

    static final List<String> CLASSES = List.of("zero", "one", "two", "three", "four",
            "five", "six", "seven", "eight", "nine");

    private TestDatasets() {
    }

    /** {@code n} random 28x28 gray images, labels cycling over ten classes. */
    static Dataset gray(String name, int n, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[n * 28 * 28];
        random.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
        }
        return new Dataset(name, 28, 28, 1, pixels, labels, CLASSES);
    }

    /** Writes {@code dataset} as both splits of an MNIST-format directory and returns it. */
    static Path idxDirectory(Path dir, Dataset dataset) throws IOException {
        IdxWriter.writeSplit(dir, Split.TRAIN, dataset, false);
        IdxWriter.writeSplit(dir, Split.TEST, dataset, true);
        return dir;
    }
}
