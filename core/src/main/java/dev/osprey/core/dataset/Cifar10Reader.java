package dev.osprey.core.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CIFAR-10 binary batches ({@code cifar-10-batches-bin}): records of one label byte and
 * 3072 pixel bytes, the 32x32 red plane, then green, then blue. The training split is whichever
 * of {@code data_batch_1.bin}..{@code data_batch_5.bin} are present, the test split
 * {@code test_batch.bin}; class names come from {@code batches.meta.txt}.
 *
 * <p>Pixels are converted from planes to interleaved HWC, the layout of every Osprey image.
 */
public final class Cifar10Reader {

    public static final int SIDE = 32;
    public static final int PIXEL_BYTES = SIDE * SIDE * 3;
    /** One label byte and the three colour planes. */
    public static final int RECORD_BYTES = 1 + PIXEL_BYTES;
    public static final String META_FILE = "batches.meta.txt";
    public static final String TEST_BATCH = "test_batch.bin";
    /** The folder the official archive unpacks to; accepted below the given directory. */
    public static final String ARCHIVE_DIR = "cifar-10-batches-bin";

    private static final int TRAIN_BATCHES = 5;

    private Cifar10Reader() {
    }

    /** Reads {@code split} from {@code dir} (or from its {@code cifar-10-batches-bin} sub-folder). */
    public static Dataset read(Path dir, Split split) throws DatasetException {
        Path base = batchDirectory(dir);
        List<Path> files = batches(base, split);
        if (files.isEmpty()) {
            throw new DatasetException(base, "no CIFAR-10 " + split.id() + " batches: expected "
                    + (split == Split.TRAIN ? "data_batch_1.bin .. data_batch_5.bin" : TEST_BATCH));
        }
        List<String> names = ClassNames.readLines(base.resolve(META_FILE)).orElse(ClassNames.CIFAR10);
        return readBatches(files, datasetName(dir, base, split), names);
    }

    /** Reads the given batch files, in order, as one dataset. */
    public static Dataset readBatches(List<Path> files, String name, List<String> classNames)
            throws DatasetException {
        List<byte[]> contents = new ArrayList<>(files.size());
        long records = 0;
        for (Path file : files) {
            byte[] data = readChecked(file);
            contents.add(data);
            records += data.length / RECORD_BYTES;
        }
        if (records * PIXEL_BYTES > Integer.MAX_VALUE - 16) {
            throw new DatasetException(files.get(0), records + " records are too many to hold as one dataset");
        }
        byte[] pixels = new byte[(int) records * PIXEL_BYTES];
        int[] labels = new int[(int) records];
        int image = 0;
        for (int f = 0; f < files.size(); f++) {
            image = convert(files.get(f), contents.get(f), classNames.size(), pixels, labels, image);
        }
        return new Dataset(name, SIDE, SIDE, 3, pixels, labels, classNames);
    }

    /** The directory that holds the batches: {@code dir} itself or its archive sub-folder. */
    static Path batchDirectory(Path dir) {
        Path nested = dir.resolve(ARCHIVE_DIR);
        return !hasBatches(dir) && hasBatches(nested) ? nested : dir;
    }

    static boolean looksLikeCifar(Path dir) {
        return hasBatches(dir) || hasBatches(dir.resolve(ARCHIVE_DIR));
    }

    private static boolean hasBatches(Path dir) {
        if (Files.isRegularFile(dir.resolve(TEST_BATCH))) {
            return true;
        }
        for (int i = 1; i <= TRAIN_BATCHES; i++) {
            if (Files.isRegularFile(dir.resolve(trainBatch(i)))) {
                return true;
            }
        }
        return false;
    }

    private static List<Path> batches(Path dir, Split split) {
        List<Path> files = new ArrayList<>();
        if (split == Split.TEST) {
            files.add(dir.resolve(TEST_BATCH));
        } else {
            for (int i = 1; i <= TRAIN_BATCHES; i++) {
                files.add(dir.resolve(trainBatch(i)));
            }
        }
        return files.stream().filter(Files::isRegularFile).toList();
    }

    private static String trainBatch(int i) {
        return "data_batch_" + i + ".bin";
    }

    private static String datasetName(Path given, Path base, Split split) {
        Path dir = (base.equals(given) ? base : given).toAbsolutePath().normalize().getFileName();
        String name = dir == null || dir.toString().equals(ARCHIVE_DIR) ? "cifar-10" : dir.toString();
        return name + "/" + split.id();
    }

    private static byte[] readChecked(Path file) throws DatasetException {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw DatasetException.missing(file);
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read: " + e.getMessage(), e);
        }
        int partial = data.length % RECORD_BYTES;
        if (partial != 0) {
            long end = data.length - partial;
            throw new DatasetException(file, end, "truncated at byte " + data.length + ": the file holds "
                    + data.length / RECORD_BYTES + " records of " + RECORD_BYTES + " bytes and " + partial
                    + " bytes of another, from byte " + end);
        }
        return data;
    }

    /** Converts the records of one file into HWC pixels and labels from index {@code first}. */
    private static int convert(Path file, byte[] data, int classes, byte[] pixels, int[] labels, int first)
            throws DatasetException {
        int plane = SIDE * SIDE;
        int image = first;
        for (int r = 0; r < data.length; r += RECORD_BYTES, image++) {
            int label = data[r] & 0xFF;
            if (label >= classes) {
                throw new DatasetException(file, r, "label " + label + " at byte " + r + " (record " + r / RECORD_BYTES
                        + ") has no class: there are " + classes + " class names");
            }
            labels[image] = label;
            int src = r + 1;
            int dst = image * PIXEL_BYTES;
            for (int i = 0; i < plane; i++) {
                pixels[dst++] = data[src + i];
                pixels[dst++] = data[src + plane + i];
                pixels[dst++] = data[src + 2 * plane + i];
            }
        }
        return image;
    }
}
