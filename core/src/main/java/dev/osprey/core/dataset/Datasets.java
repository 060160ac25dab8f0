package dev.osprey.core.dataset;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry point for "load the dataset at this path": recognises an MNIST-format directory,
 * CIFAR-10 batches, an image folder or a single image file, and loads the requested split.
 */
public final class Datasets {

    private static final Logger LOG = LoggerFactory.getLogger(Datasets.class);
    private static final int PROBLEMS_LOGGED = 20;

    static final String EXPECTED = "expected a directory of MNIST-format IDX files (train-images-idx3-ubyte[.gz], "
            + "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]), "
            + "CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin), "
            + "an image folder (<class>/<image>.png|jpg|jpeg|bmp), or one PNG, JPEG or BMP file";

    private Datasets() {
    }

    /**
     * Loads {@code split} of the dataset at {@code path}. For an image folder, unreadable files are
     * logged and skipped (use {@link ImageFolderReader} to get them as a list); a single image is
     * a one-image dataset with label -1, whatever the split.
     */
    public static Dataset load(Path path, Split split) throws DatasetException {
        return switch (detect(path)) {
            case IDX -> IdxDirectoryReader.read(path, split);
            case CIFAR10 -> Cifar10Reader.read(path, split);
            case IMAGE_FOLDER -> imageFolder(path, split);
            case IMAGE_FILE -> imageFile(path);
        };
    }

    /** What kind of dataset {@code path} holds. */
    public static DatasetKind detect(Path path) throws DatasetException {
        if (!Files.exists(path)) {
            throw DatasetException.missing(path);
        }
        if (Files.isRegularFile(path)) {
            if (ImageFolderReader.isImageFile(path) || hasImageSignature(path)) {
                return DatasetKind.IMAGE_FILE;
            }
            throw new DatasetException(path, "not a dataset: " + EXPECTED
                    + " (for IDX files or CIFAR-10 batches, give the directory that holds them)");
        }
        if (!Files.isDirectory(path)) {
            throw new DatasetException(path, "neither a file nor a directory: " + EXPECTED);
        }
        if (IdxDirectoryReader.looksLikeIdx(path)) {
            return DatasetKind.IDX;
        }
        if (Cifar10Reader.looksLikeCifar(path)) {
            return DatasetKind.CIFAR10;
        }
        if (ImageFolderReader.looksLikeImageFolder(path)) {
            return DatasetKind.IMAGE_FOLDER;
        }
        throw new DatasetException(path, "no dataset recognised (found " + describe(path) + "): " + EXPECTED);
    }

    private static Dataset imageFolder(Path path, Split split) throws DatasetException {
        ImageFolderReader.Result result = ImageFolderReader.read(path, split, null);
        List<ImageFolderReader.Problem> problems = result.problems();
        if (!problems.isEmpty()) {
            LOG.warn("{}: skipped {} of {} files that could not be used", path, problems.size(),
                    problems.size() + result.dataset().size());
            problems.stream().limit(PROBLEMS_LOGGED).forEach(p -> LOG.warn("  {}", p));
        }
        return result.dataset();
    }

    private static Dataset imageFile(Path file) throws DatasetException {
        try {
            if (Files.size(file) > OspreyTopics.IMAGE_MAX_BYTES) {
                throw new DatasetException(file, "larger than the " + OspreyTopics.IMAGE_MAX_BYTES
                        + "-byte image limit");
            }
            RawImage image = ImageDecoder.decodeEncoded(Files.readAllBytes(file));
            return new Dataset(file.getFileName().toString(), image.width(), image.height(), image.channels(),
                    image.pixels(), new int[] {-1}, List.of());
        } catch (ImageRejectedException e) {
            throw new DatasetException(file, e.reason().id() + ": " + e.getMessage(), e);
        } catch (DatasetException e) {
            throw e;
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean hasImageSignature(Path file) {
        byte[] head = new byte[32];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            return n > 0 && ImageDecoder.looksEncoded(Arrays.copyOf(head, n));
        } catch (IOException e) {
            return false;
        }
    }

    /** A short listing of the directory for error messages. */
    private static String describe(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
            if (names.isEmpty()) {
                return "an empty directory";
            }
            String shown = String.join(", ", names.subList(0, Math.min(10, names.size())));
            return names.size() > 10 ? shown + ", ... (" + names.size() + " entries)" : shown;
        } catch (IOException e) {
            return "an unreadable directory";
        }
    }
}
