package dev.osprey.core.dataset;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.ImageTransforms;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a folder of image files the way torchvision's {@code ImageFolder} does:
 * {@code root/<class>/**}{@code /<file>.png|jpg|jpeg|bmp}, classes being the sorted sub-folder
 * names. Image files directly in {@code root} are read as unlabelled (label -1). If {@code root}
 * has {@code train} and {@code test} (or {@code val}) sub-folders, the split picks one of them.
 *
 * <p>A dataset holds images of one size, so every image is converted to the size of the first
 * readable image (or to the given {@link InputSpec}) with {@link ImageTransforms}; channels become
 * RGB if any image is in colour (or as the spec says). Files that cannot be read, decoded or
 * sensibly resized are skipped and reported; only a folder with nothing readable is an error.
 */
public final class ImageFolderReader {

    /** File name extensions read, lower case. Other files (notes, thumbnails.db) are ignored. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    private ImageFolderReader() {
    }

    /** A file that was skipped, and why. */
    public record Problem(Path file, String message) {
        @Override
        public String toString() {
            return file + ": " + message;
        }
    }

    /** The images that could be read, and the files that could not. */
    public record Result(Dataset dataset, List<Problem> problems) {
        public Result {
            Objects.requireNonNull(dataset, "dataset");
            problems = List.copyOf(problems);
        }
    }

    /** Reads the whole folder, at the first image's size. */
    public static Result read(Path root) throws DatasetException {
        return read(root, null, null);
    }

    /**
     * Reads {@code root} (or its sub-folder for {@code split}, if it is split).
     *
     * @param split  the split, or {@code null} to read {@code root} as it is
     * @param target the size and channels to convert to, or {@code null} for the first image's
     */
    public static Result read(Path root, Split split, InputSpec target) throws DatasetException {
        Path dir = split == null ? root : splitDirectory(root, split);
        List<Path> classDirs = subdirectories(dir);
        List<String> classNames = classDirs.stream().map(p -> p.getFileName().toString()).toList();
        Collector collector = new Collector(target);
        for (int c = 0; c < classDirs.size(); c++) {
            List<Path> files = imagesUnder(classDirs.get(c));
            if (files.isEmpty()) {
                collector.problems.add(new Problem(classDirs.get(c), "class folder holds no "
                        + String.join("/", EXTENSIONS.stream().sorted().toList()) + " files"));
            }
            for (Path file : files) {
                collector.add(file, c);
            }
        }
        for (Path file : imagesIn(dir)) {
            collector.add(file, -1);
        }
        if (collector.images.isEmpty()) {
            throw new DatasetException(dir, "no readable images (expected <class>/<image>."
                    + String.join("|", EXTENSIONS.stream().sorted().toList()) + ")"
                    + (collector.problems.isEmpty() ? "" : "; " + collector.problems.size() + " problems, first: "
                    + collector.problems.get(0)));
        }
        return new Result(collector.toDataset(datasetName(root, dir, split), classNames), collector.problems);
    }

    /** Whether {@code dir} holds images directly or in sub-folders (up to three levels down). */
    static boolean looksLikeImageFolder(Path dir) throws DatasetException {
        try (Stream<Path> s = Files.find(dir, 3, (p, attrs) -> attrs.isRegularFile() && isImageFile(p))) {
            return s.findAny().isPresent();
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(dir, "cannot list directory: " + e.getMessage(), e);
        }
    }

    /** Whether the name has an image extension and is not hidden. */
    static boolean isImageFile(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0
                && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static Path splitDirectory(Path root, Split split) {
        Path train = root.resolve("train");
        Path test = Files.isDirectory(root.resolve("test")) ? root.resolve("test") : root.resolve("val");
        if (Files.isDirectory(train) && Files.isDirectory(test)) {
            return split == Split.TRAIN ? train : test;
        }
        return root;
    }

    private static String datasetName(Path root, Path dir, Split split) {
        Path name = root.toAbsolutePath().normalize().getFileName();
        String base = name == null ? "images" : name.toString();
        return dir.equals(root) ? base : base + "/" + split.id();
    }

    private static List<Path> subdirectories(Path dir) throws DatasetException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list directory: " + e.getMessage(), e);
        }
    }

    private static List<Path> imagesIn(Path dir) throws DatasetException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && isImageFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list directory: " + e.getMessage(), e);
        }
    }

    private static List<Path> imagesUnder(Path classDir) throws DatasetException {
        try (Stream<Path> s = Files.walk(classDir)) {
            return s.filter(p -> Files.isRegularFile(p) && isImageFile(p)).sorted().toList();
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(classDir, "cannot list directory: " + e.getMessage(), e);
        }
    }

    /**
     * Gathers images resized as they are read, so memory holds target-size images only; the
     * channels are settled at the end, when it is known whether any image is in colour.
     */
    private static final class Collector {
        final List<RawImage> images = new ArrayList<>();
        final List<Integer> labels = new ArrayList<>();
        final List<Problem> problems = new ArrayList<>();
        private final InputSpec target;
        private int width;
        private int height;

        Collector(InputSpec target) {
            this.target = target;
            if (target != null) {
                width = target.width();
                height = target.height();
            }
        }

        void add(Path file, int label) {
            try {
                RawImage image = decode(file);
                if (width == 0) {
                    width = image.width();
                    height = image.height();
                }
                if (image.width() != width || image.height() != height) {
                    ImageTransforms.checkResizable(image.width(), image.height(), width, height);
                    image = ImageTransforms.resize(image, width, height);
                }
                images.add(image);
                labels.add(label);
            } catch (ImageRejectedException e) {
                problems.add(new Problem(file, e.reason().id() + ": " + e.getMessage()));
            } catch (IOException e) {
                problems.add(new Problem(file, "cannot read: " + e.getMessage()));
            }
        }

        private static RawImage decode(Path file) throws IOException, ImageRejectedException {
            // Check the size before reading: a stray multi-gigabyte file must not fill the heap.
            if (Files.size(file) > OspreyTopics.IMAGE_MAX_BYTES) {
                throw new IOException("larger than the " + OspreyTopics.IMAGE_MAX_BYTES + "-byte image limit");
            }
            return ImageDecoder.decodeEncoded(Files.readAllBytes(file));
        }

        Dataset toDataset(String name, List<String> classNames) {
            int channels = target != null ? target.channels()
                    : images.stream().anyMatch(i -> i.channels() == 3) ? 3 : 1;
            int bytes = width * height * channels;
            byte[] pixels = new byte[images.size() * bytes];
            int[] lb = new int[images.size()];
            for (int i = 0; i < images.size(); i++) {
                RawImage image = ImageTransforms.withChannels(images.get(i), channels);
                System.arraycopy(image.pixels(), 0, pixels, i * bytes, bytes);
                lb[i] = labels.get(i);
            }
            return new Dataset(name, width, height, channels, pixels, lb, classNames);
        }
    }
}
