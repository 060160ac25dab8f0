package dev.osprey.core.dataset;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reads MNIST-format IDX files: images ({@code idx3-ubyte}: count, rows, columns) and labels
 * ({@code idx1-ubyte}: count), plain or gzipped (recognised by the gzip signature, not the name).
 *
 * <p>The header is trusted for nothing: magic, data type (only {@code 0x08}, unsigned byte), the
 * number of dimensions and each dimension are checked, and the data must hold exactly the bytes
 * the header promises, no fewer (truncated download) and no more (wrong or concatenated file).
 * A four-dimensional image file (count, rows, columns, channels) with 1 or 3 channels is accepted
 * too, which is how {@link IdxWriter} stores colour images.
 */
public final class IdxReader {

    /** IDX data type code of unsigned bytes, the only one MNIST-format datasets use. */
    public static final int TYPE_UNSIGNED_BYTE = 0x08;

    private static final int GZIP_MAGIC = 0x1F8B;
    private static final int BUFFER = 1 << 16;

    private IdxReader() {
    }

    /** The images of one IDX file, HWC order, 8-bit. */
    public record Images(int count, int height, int width, int channels, byte[] pixels) {

        public int imageBytes() {
            return height * width * channels;
        }
    }

    /** Reads an image file ({@code idx3-ubyte}). */
    public static Images readImages(Path file) throws DatasetException {
        try (Source in = Source.open(file)) {
            int[] dims = readHeader(in, 3);
            int channels = dims.length == 4 ? dims[3] : 1;
            if (channels != 1 && channels != 3) {
                throw new DatasetException(file, 16, "byte 16: " + channels + " channels; only 1 or 3 are supported");
            }
            String shape = dims[0] + " images of " + dims[1] + "x" + dims[2] + (channels == 3 ? "x3" : "");
            byte[] pixels = readData(in, (long) dims[0] * dims[1] * dims[2] * channels,
                    (long) dims[1] * dims[2] * channels, shape);
            return new Images(dims[0], dims[1], dims[2], channels, pixels);
        }
    }

    /** Reads a label file ({@code idx1-ubyte}); each label is an unsigned byte. */
    public static int[] readLabels(Path file) throws DatasetException {
        try (Source in = Source.open(file)) {
            int[] dims = readHeader(in, 1);
            byte[] raw = readData(in, dims[0], 1, dims[0] + " labels");
            int[] labels = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                labels[i] = raw[i] & 0xFF;
            }
            return labels;
        }
    }

    /**
     * Reads an image file and its label file as one dataset.
     *
     * @param classNames the class names; empty for {@code "0".."9"} when the labels span ten
     *                   classes and {@code "class N"} otherwise
     * @throws DatasetException also when the counts differ or a label has no class name
     */
    public static Dataset read(Path imagesFile, Path labelsFile, String name, List<String> classNames)
            throws DatasetException {
        Images images = readImages(imagesFile);
        int[] labels = readLabels(labelsFile);
        List<String> names = classNames.isEmpty() ? ClassNames.defaults(ClassNames.classCount(labels)) : classNames;
        return assemble(imagesFile, labelsFile, name, names, images, labels);
    }

    /** Checks that images and labels belong together and makes them a dataset. */
    static Dataset assemble(Path imagesFile, Path labelsFile, String name, List<String> names, Images images,
                            int[] labels) throws DatasetException {
        if (images.count() != labels.length) {
            throw new DatasetException(labelsFile, labels.length + " labels, but " + imagesFile.getFileName()
                    + " holds " + images.count() + " images: the two files do not belong together");
        }
        checkLabels(labelsFile, labels, names.size());
        return new Dataset(name, images.width(), images.height(), images.channels(), images.pixels(), labels, names);
    }

    private static void checkLabels(Path labelsFile, int[] labels, int classes) throws DatasetException {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classes) {
                long offset = 8L + i;
                throw new DatasetException(labelsFile, offset, "label " + labels[i] + " of image " + i + " at byte "
                        + offset + " has no class: there are " + classes + " class names");
            }
        }
    }

    /** Reads and checks the magic and dimensions; returns the dimensions. */
    private static int[] readHeader(Source in, int expectedDims) throws DatasetException {
        byte[] magic = in.readHeaderBytes(4, "the 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DatasetException(in.file, 0, String.format(Locale.ROOT,
                    "bad magic number 0x%02x%02x%02x%02x at byte 0: not an IDX file (images start 0x00000803, "
                            + "labels 0x00000801)", magic[0], magic[1], magic[2], magic[3]));
        }
        int type = magic[2] & 0xFF;
        if (type != TYPE_UNSIGNED_BYTE) {
            throw new DatasetException(in.file, 2, String.format(Locale.ROOT,
                    "data type 0x%02x at byte 2 is not supported: only 0x08 (unsigned byte)", type));
        }
        int ndims = magic[3] & 0xFF;
        boolean ok = ndims == expectedDims || (expectedDims == 3 && ndims == 4);
        if (!ok) {
            throw new DatasetException(in.file, 3, "byte 3 says " + ndims + " dimensions; "
                    + (expectedDims == 1 ? "a label file (idx1) has 1" : "an image file (idx3) has 3"));
        }
        byte[] raw = in.readHeaderBytes(4 * ndims, ndims + " dimension sizes");
        int[] dims = new int[ndims];
        for (int d = 0; d < ndims; d++) {
            int p = 4 * d;
            dims[d] = (raw[p] & 0xFF) << 24 | (raw[p + 1] & 0xFF) << 16 | (raw[p + 2] & 0xFF) << 8 | (raw[p + 3] & 0xFF);
            // A count of zero is a legal, empty file; an image side of zero is not.
            if (dims[d] < 0 || (d > 0 && dims[d] == 0)) {
                throw new DatasetException(in.file, 4 + p, "dimension " + d + " at byte " + (4 + p) + " is "
                        + Integer.toUnsignedString(dims[d]));
            }
        }
        return dims;
    }

    private static byte[] readData(Source in, long expected, long unit, String shape)
            throws DatasetException {
        long headerEnd = in.position;
        if (expected > Integer.MAX_VALUE - 16) {
            throw new DatasetException(in.file, headerEnd, "header says " + shape + ": " + expected
                    + " bytes, too large to hold in memory as one dataset");
        }
        byte[] data = new byte[(int) expected];
        int got = in.readUpTo(data);
        if (got < expected) {
            long held = got / unit;
            long rest = got % unit;
            throw new DatasetException(in.file, in.position, "truncated at byte " + in.position + " (expected "
                    + (headerEnd + expected) + "): header says " + shape + ", file holds " + held
                    + (rest > 0 ? " and " + rest + " bytes of the next" : "")
                    + (in.gzip ? " (offsets in the uncompressed data)" : ""));
        }
        if (in.hasMore()) {
            throw new DatasetException(in.file, in.position, "trailing data at byte " + in.position
                    + ": header says " + shape + ", which end there" + (in.gzip ? " (uncompressed offset)" : ""));
        }
        return data;
    }

    /** A file opened for reading, transparently gunzipped, that counts the bytes read. */
    private static final class Source implements AutoCloseable {
        final Path file;
        final boolean gzip;
        private final InputStream in;
        long position;

        private Source(Path file, InputStream in, boolean gzip) {
            this.file = file;
            this.in = in;
            this.gzip = gzip;
        }

        static Source open(Path file) throws DatasetException {
            InputStream raw = null;
            try {
                raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
                raw.mark(2);
                int b0 = raw.read();
                int b1 = raw.read();
                raw.reset();
                boolean gzip = (b0 << 8 | b1) == GZIP_MAGIC;
                return new Source(file, gzip ? new GZIPInputStream(raw, BUFFER) : raw, gzip);
            } catch (NoSuchFileException e) {
                closeQuietly(raw);
                throw DatasetException.missing(file);
            } catch (IOException e) {
                closeQuietly(raw);
                throw new DatasetException(file, "cannot open: " + e.getMessage(), e);
            }
        }

        byte[] readHeaderBytes(int n, String what) throws DatasetException {
            byte[] b = new byte[n];
            long start = position;
            if (readUpTo(b) < n) {
                throw new DatasetException(file, position, "truncated at byte " + position + " in the header: "
                        + "expected " + what + " at bytes " + start + ".." + (start + n - 1));
            }
            return b;
        }

        /** Reads until {@code b} is full or the data ends; returns the bytes read. */
        int readUpTo(byte[] b) throws DatasetException {
            int off = 0;
            try {
                while (off < b.length) {
                    int n = in.read(b, off, b.length - off);
                    if (n < 0) {
                        break;
                    }
                    off += n;
                    position += n;
                }
            } catch (EOFException e) {
                // A gzip stream cut short: report it like a short plain file, at the bytes we got.
                return off;
            } catch (IOException e) {
                throw new DatasetException(file, position, "unreadable at byte " + position
                        + (gzip ? " of the uncompressed data (corrupt gzip stream?)" : "") + ": " + e.getMessage(), e);
            }
            return off;
        }

        boolean hasMore() throws DatasetException {
            try {
                return in.read() >= 0;
            } catch (IOException e) {
                // Damage after all the data we need: still not a file to trust.
                throw new DatasetException(file, position, "unreadable after byte " + position + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            closeQuietly(in);
        }

        private static void closeQuietly(InputStream s) {
            if (s == null) {
                return;
            }
            try {
                s.close();
            } catch (IOException e) {
                // Read-only stream: nothing was lost by failing to close it.
            }
        }
    }
}
