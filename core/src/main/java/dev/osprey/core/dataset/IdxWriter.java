package dev.osprey.core.dataset;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes datasets as MNIST-format IDX files, gzipped when the file name ends in {@code .gz}.
 * Gray images are {@code idx3} (count, rows, columns) as in MNIST; colour images get a fourth
 * dimension (channels), which {@link IdxReader} reads back.
 */
public final class IdxWriter {

    private static final int BUFFER = 1 << 16;

    private IdxWriter() {
    }

    /** Writes the images of {@code dataset} to {@code file}. */
    public static void writeImages(Path file, Dataset dataset) throws IOException {
        int[] dims = dataset.channels() == 1
                ? new int[] {dataset.size(), dataset.height(), dataset.width()}
                : new int[] {dataset.size(), dataset.height(), dataset.width(), dataset.channels()};
        write(file, dims, dataset.pixels());
    }

    /**
     * Writes labels to {@code file}.
     *
     * @throws IllegalArgumentException if a label is outside 0..255 (an IDX label is one unsigned byte)
     */
    public static void writeLabels(Path file, int[] labels) throws IOException {
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i
                        + " does not fit an IDX label byte (0..255)");
            }
            data[i] = (byte) labels[i];
        }
        write(file, new int[] {labels.length}, data);
    }

    /**
     * Writes {@code dataset} into {@code dir} under the standard MNIST names of {@code split}
     * ({@code train-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, with {@code .gz} if asked).
     */
    public static IdxDirectoryReader.IdxFiles writeSplit(Path dir, Split split, Dataset dataset, boolean gzip)
            throws IOException {
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        String suffix = gzip ? ".gz" : "";
        Path images = dir.resolve(prefix + "-images-idx3-ubyte" + suffix);
        Path labels = dir.resolve(prefix + "-labels-idx1-ubyte" + suffix);
        Files.createDirectories(dir);
        writeImages(images, dataset);
        writeLabels(labels, dataset.labels());
        return new IdxDirectoryReader.IdxFiles(images, labels);
    }

    private static void write(Path file, int[] dims, byte[] data) throws IOException {
        try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), BUFFER);
             DataOutputStream out = new DataOutputStream(
                     file.getFileName().toString().endsWith(".gz") ? new GZIPOutputStream(raw, BUFFER) : raw)) {
            out.writeByte(0);
            out.writeByte(0);
            out.writeByte(IdxReader.TYPE_UNSIGNED_BYTE);
            out.writeByte(dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
    }
}
