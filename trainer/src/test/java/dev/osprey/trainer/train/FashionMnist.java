package dev.osprey.trainer.train;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Split;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The real Fashion-MNIST from Debian's {@code dataset-fashion-mnist}, read by a minimal IDX
 * reader private to these tests, so they do not wait on the dataset module.
 */
final class FashionMnist {

    static final Path DIR = Path.of(System.getProperty("osprey.fashion.dir", "/usr/share/datasets/fashion-mnist"));
    static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {
    }

    static boolean present() {
        return file("train-images-idx3-ubyte").isPresent() && file("t10k-labels-idx1-ubyte").isPresent();
    }

    static Dataset load(Split split) {
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        try {
            byte[] images = read(file(prefix + "-images-idx3-ubyte").orElseThrow(), 0x803);
            byte[] labelBytes = read(file(prefix + "-labels-idx1-ubyte").orElseThrow(), 0x801);
            int[] labels = new int[labelBytes.length];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = labelBytes[i];
            }
            return new Dataset("fashion-mnist/" + split.id(), 28, 28, 1, images, labels, CLASSES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Path> file(String name) {
        for (Path p : List.of(DIR.resolve(name), DIR.resolve(name + ".gz"))) {
            if (Files.isReadable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The payload of an IDX file after its header; only the magic number is checked. */
    private static byte[] read(Path file, int magic) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try (DataInputStream in = new DataInputStream(file.toString().endsWith(".gz")
                ? new GZIPInputStream(raw, 1 << 16) : raw)) {
            int m = in.readInt();
            if (m != magic) {
                throw new IOException(file + ": magic " + Integer.toHexString(m) + ", expected "
                        + Integer.toHexString(magic));
            }
            int dims = m & 0xFF;
            long count = 1;
            for (int d = 0; d < dims; d++) {
                count *= in.readInt();
            }
            byte[] out = new byte[Math.toIntExact(count)];
            in.readFully(out);
            return out;
        }
    }
}
