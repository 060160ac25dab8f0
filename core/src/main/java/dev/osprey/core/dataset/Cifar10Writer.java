package dev.osprey.core.dataset;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes 32x32 RGB datasets as CIFAR-10 binary batches, the inverse of {@link Cifar10Reader}. */
public final class Cifar10Writer {

    private Cifar10Writer() {
    }

    /**
     * Writes {@code dataset} as one batch file.
     *
     * @throws IllegalArgumentException unless the images are 32x32x3 and every label is 0..255
     */
    public static void writeBatch(Path file, Dataset dataset) throws IOException {
        if (dataset.width() != Cifar10Reader.SIDE || dataset.height() != Cifar10Reader.SIDE
                || dataset.channels() != 3) {
            throw new IllegalArgumentException("CIFAR-10 batches hold 32x32x3 images, not "
                    + dataset.width() + "x" + dataset.height() + "x" + dataset.channels());
        }
        int plane = Cifar10Reader.SIDE * Cifar10Reader.SIDE;
        byte[] record = new byte[Cifar10Reader.RECORD_BYTES];
        byte[] px = dataset.pixels();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int i = 0; i < dataset.size(); i++) {
                int label = dataset.label(i);
                if (label < 0 || label > 255) {
                    throw new IllegalArgumentException("label " + label + " of image " + i + " does not fit a byte");
                }
                record[0] = (byte) label;
                int src = i * Cifar10Reader.PIXEL_BYTES;
                for (int p = 0; p < plane; p++, src += 3) {
                    record[1 + p] = px[src];
                    record[1 + plane + p] = px[src + 1];
                    record[1 + 2 * plane + p] = px[src + 2];
                }
                out.write(record);
            }
        }
    }

    /** Writes the class names as {@code batches.meta.txt} in {@code dir}. */
    public static void writeMeta(Path dir, Dataset dataset) throws IOException {
        Files.write(dir.resolve(Cifar10Reader.META_FILE),
                (String.join("\n", dataset.classNames()) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
