package dev.osprey.core.dataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The human names of dataset classes, from the dataset itself or from well-known defaults. */
public final class ClassNames {

    /** Fashion-MNIST's labels 0..9, from the dataset's README. */
    public static final List<String> FASHION_MNIST = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** CIFAR-10's labels 0..9, as in its {@code batches.meta.txt}. */
    public static final List<String> CIFAR10 = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");

    /** One name per line, in class order: overrides the defaults in any MNIST-format directory. */
    public static final String CLASSES_FILE = "classes.txt";

    private ClassNames() {
    }

    /** {@code "0".."9"} for ten classes (the digits of MNIST), otherwise {@code "class 0"...}. */
    public static List<String> defaults(int classCount) {
        List<String> names = new ArrayList<>(classCount);
        for (int i = 0; i < classCount; i++) {
            names.add(classCount == 10 ? Integer.toString(i) : "class " + i);
        }
        return List.copyOf(names);
    }

    /** One more than the largest label, i.e. the fewest classes the labels need. */
    public static int classCount(int[] labels) {
        int max = -1;
        for (int label : labels) {
            max = Math.max(max, label);
        }
        return max + 1;
    }

    /**
     * The names for an MNIST-format directory whose labels need {@code classCount} classes:
     * {@code classes.txt} if present, Fashion-MNIST's names if the directory name says
     * "fashion", else {@link #defaults}.
     */
    static List<String> forIdxDirectory(Path dir, int classCount) throws DatasetException {
        Optional<List<String>> listed = readLines(dir.resolve(CLASSES_FILE));
        if (listed.isPresent()) {
            return requireEnough(dir.resolve(CLASSES_FILE), listed.get(), classCount);
        }
        Path dirName = dir.toAbsolutePath().normalize().getFileName();
        if (dirName != null && dirName.toString().toLowerCase(Locale.ROOT).contains("fashion")
                && classCount <= FASHION_MNIST.size()) {
            return FASHION_MNIST;
        }
        return defaults(classCount);
    }

    /** The non-blank lines of {@code file}, trimmed, if the file exists. */
    static Optional<List<String>> readLines(Path file) throws DatasetException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            List<String> names = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
            return Optional.of(List.copyOf(names));
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read class names: " + e.getMessage(), e);
        }
    }

    static List<String> requireEnough(Path file, List<String> names, int classCount) throws DatasetException {
        if (names.size() < classCount) {
            throw new DatasetException(file, "lists " + names.size() + " class names, but the labels go up to "
                    + (classCount - 1));
        }
        return names;
    }
}
