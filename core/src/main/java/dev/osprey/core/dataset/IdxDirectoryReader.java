package dev.osprey.core.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads one split of an MNIST-format directory: MNIST and Fashion-MNIST
 * ({@code train-images-idx3-ubyte[.gz]}, {@code t10k-labels-idx1-ubyte[.gz]}...), EMNIST
 * ({@code emnist-balanced-train-images-idx3-ubyte}), KMNIST and other downloads that keep
 * "train"/"test"/"t10k" and "images"/"labels" in their file names.
 *
 * <p>Class names come from {@code classes.txt} when present, are Fashion-MNIST's when the
 * directory name contains "fashion", and are otherwise {@link ClassNames#defaults}.
 */
public final class IdxDirectoryReader {

    private static final String GZ = ".gz";

    private IdxDirectoryReader() {
    }

    /** The image and label files of one split. */
    public record IdxFiles(Path images, Path labels) {
    }

    /** Reads {@code split} of {@code dir}, named like {@code fashion-mnist/test}. */
    public static Dataset read(Path dir, Split split) throws DatasetException {
        IdxFiles files = find(dir, split);
        IdxReader.Images images = IdxReader.readImages(files.images());
        int[] labels = IdxReader.readLabels(files.labels());
        List<String> names = ClassNames.forIdxDirectory(dir, ClassNames.classCount(labels));
        return IdxReader.assemble(files.images(), files.labels(), datasetName(dir, split), names, images, labels);
    }

    /** {@code <directory name>/<split>}, e.g. {@code fashion-mnist/train}. */
    static String datasetName(Path dir, Split split) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return (name == null ? "dataset" : name.toString()) + "/" + split.id();
    }

    /** Whether {@code dir} holds at least one IDX image file. */
    static boolean looksLikeIdx(Path dir) throws DatasetException {
        return list(dir).stream().anyMatch(p -> isIdx(p) && isImages(p));
    }

    /** Finds the image and label files of {@code split}, or says what is missing or ambiguous. */
    public static IdxFiles find(Path dir, Split split) throws DatasetException {
        List<Path> all = list(dir).stream().filter(IdxDirectoryReader::isIdx).toList();
        List<Path> images = preferPlain(all.stream().filter(p -> isImages(p) && inSplit(p, split)).toList());
        List<Path> labels = preferPlain(all.stream().filter(p -> isLabels(p) && inSplit(p, split)).toList());
        String expected = "expected " + canonical(split, "images-idx3-ubyte") + "[.gz] and "
                + canonical(split, "labels-idx1-ubyte") + "[.gz]";
        if (images.isEmpty()) {
            throw new DatasetException(dir, "no " + split.id() + " images: " + expected + "; found " + names(all));
        }
        if (images.size() > 1) {
            throw new DatasetException(dir, "several " + split.id() + " image files: " + names(images)
                    + "; keep one dataset per directory");
        }
        Path image = images.get(0);
        return new IdxFiles(image, matchingLabels(dir, image, labels, expected));
    }

    private static Path matchingLabels(Path dir, Path images, List<Path> labels, String expected)
            throws DatasetException {
        String want = stem(images).replace("images", "labels").replace("imgs", "labels").replace("idx3", "idx1");
        for (Path p : labels) {
            if (stem(p).equals(want)) {
                return p;
            }
        }
        if (labels.size() == 1) {
            return labels.get(0);
        }
        if (labels.isEmpty()) {
            throw new DatasetException(dir, "no labels for " + images.getFileName() + ": " + expected);
        }
        throw new DatasetException(dir, "several label files could belong to " + images.getFileName() + ": "
                + names(labels));
    }

    private static String canonical(Split split, String suffix) {
        return (split == Split.TRAIN ? "train-" : "t10k-") + suffix;
    }

    /** Where both {@code x} and {@code x.gz} exist, the plain one: it reads faster and is the same data. */
    private static List<Path> preferPlain(List<Path> files) {
        List<Path> out = new ArrayList<>();
        for (Path p : files) {
            String name = p.getFileName().toString();
            boolean hasPlainTwin = name.endsWith(GZ)
                    && files.contains(p.resolveSibling(name.substring(0, name.length() - GZ.length())));
            if (!hasPlainTwin) {
                out.add(p);
            }
        }
        return out;
    }

    private static List<Path> list(Path dir) throws DatasetException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList();
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list directory: " + e.getMessage(), e);
        }
    }

    /** The lower-case file name without {@code .gz}. */
    private static String stem(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(GZ) ? name.substring(0, name.length() - GZ.length()) : name;
    }

    /** IDX names say so ({@code idx3-ubyte}), or at least carry no other extension ({@code .npz}, {@code .csv}). */
    private static boolean isIdx(Path p) {
        String s = stem(p);
        return s.contains("idx") || s.contains("ubyte") || !s.contains(".");
    }

    private static boolean isImages(Path p) {
        String s = stem(p);
        return (s.contains("images") || s.contains("imgs") || s.contains("idx3")) && !isLabels(p);
    }

    private static boolean isLabels(Path p) {
        String s = stem(p);
        return s.contains("labels") || s.contains("idx1");
    }

    private static boolean inSplit(Path p, Split split) {
        String s = stem(p);
        return split == Split.TRAIN ? s.contains("train") : s.contains("t10k") || s.contains("test");
    }

    private static String names(List<Path> files) {
        if (files.isEmpty()) {
            return "no IDX files";
        }
        return String.join(", ", files.stream().map(p -> p.getFileName().toString()).toList());
    }
}
