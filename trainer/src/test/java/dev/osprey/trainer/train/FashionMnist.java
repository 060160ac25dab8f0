package dev.osprey.trainer.train;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetException;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real Fashion-MNIST from Debian's {@code dataset-fashion-mnist}, where it is installed. */
final class FashionMnist {

    static final Path DIR = Path.of(System.getProperty("osprey.fashion.dir", "/usr/share/datasets/fashion-mnist"));

    private FashionMnist() {
    }

    static boolean present() {
        return Files.isReadable(DIR.resolve("train-images-idx3-ubyte.gz"))
                || Files.isReadable(DIR.resolve("train-images-idx3-ubyte"));
    }

    static Dataset load(Split split) {
        try {
            return Datasets.load(DIR, split);
        } catch (DatasetException e) {
            throw new IllegalStateException("Fashion-MNIST in " + DIR + " does not load: " + e.getMessage(), e);
        }
    }
}
