package dev.osprey.ingest;

import dev.osprey.core.dataset.Cifar10Reader;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetException;
import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.ImageFolderReader;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.ingest.source.DatasetSource;
import dev.osprey.ingest.source.FileSource;
import dev.osprey.ingest.source.ImageSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns the source named in the options into an {@link ImageSource}, or a clear error. */
final class SourceOpener {

    private static final Logger LOG = LoggerFactory.getLogger(SourceOpener.class);
    /** A folder of thousands of bad files must not flood the console; the count says the rest. */
    private static final int PROBLEMS_LOGGED = 20;

    private SourceOpener() {
    }

    static ImageSource open(IngestOptions options, InputStream stdin) throws IngestException {
        if (options.stdin()) {
            return fromStdin(options, stdin);
        }
        Path path;
        try {
            path = Path.of(options.source().trim());
        } catch (InvalidPathException e) {
            throw new IngestException("not a valid path: '" + options.source() + "' (" + e.getReason() + ")", e);
        }
        try {
            DatasetKind kind = options.format().isPresent() ? options.format().get() : Datasets.detect(path);
            if (!Files.exists(path)) {
                throw DatasetException.missing(path);
            }
            if (kind == DatasetKind.IMAGE_FILE) {
                return fromFile(path, options);
            }
            List<String> skipped = new ArrayList<>();
            Dataset dataset = switch (kind) {
                case IDX -> IdxDirectoryReader.read(path, options.split());
                case CIFAR10 -> Cifar10Reader.read(path, options.split());
                case IMAGE_FOLDER -> imageFolder(path, options, skipped);
                case IMAGE_FILE -> throw new IllegalStateException("handled above");
            };
            if (dataset.size() == 0) {
                throw new IngestException(path + ": the " + options.split().id() + " split has no images");
            }
            return new DatasetSource(dataset, options.split(), options.encoding() == ImageEncoding.PNG, skipped);
        } catch (DatasetException e) {
            // The message already names the path and, for a malformed file, the offset.
            throw new IngestException(e.getMessage(), e);
        }
    }

    /** Reads a folder, leaving out (and reporting) the files that cannot be read. */
    private static Dataset imageFolder(Path path, IngestOptions options, List<String> skipped)
            throws DatasetException {
        ImageFolderReader.Result result = ImageFolderReader.read(path, options.split(), null);
        List<ImageFolderReader.Problem> problems = result.problems();
        if (!problems.isEmpty()) {
            LOG.warn("{}: skipping {} of {} files that cannot be read:", path, problems.size(),
                    problems.size() + result.dataset().size());
            problems.stream().limit(PROBLEMS_LOGGED).forEach(p -> LOG.warn("  {}", p));
            if (problems.size() > PROBLEMS_LOGGED) {
                LOG.warn("  ... and {} more", problems.size() - PROBLEMS_LOGGED);
            }
            problems.forEach(p -> skipped.add(p.toString()));
        }
        return result.dataset();
    }

    private static ImageSource fromFile(Path file, IngestOptions options) throws IngestException {
        try {
            if (Files.size(file) > OspreyTopics.IMAGE_MAX_BYTES) {
                throw new IngestException(file + ": " + Files.size(file) + " bytes is larger than the "
                        + OspreyTopics.IMAGE_MAX_BYTES + "-byte image limit");
            }
            return FileSource.of(file.toString(), Files.readAllBytes(file), options.encoding());
        } catch (ImageRejectedException e) {
            throw new IngestException(file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IngestException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static ImageSource fromStdin(IngestOptions options, InputStream stdin) throws IngestException {
        try {
            byte[] bytes = stdin.readNBytes(OspreyTopics.IMAGE_MAX_BYTES + 1);
            if (bytes.length == 0) {
                throw new IngestException("stdin is empty: expected one PNG, JPEG or BMP image");
            }
            if (bytes.length > OspreyTopics.IMAGE_MAX_BYTES) {
                throw new IngestException("stdin: more than the " + OspreyTopics.IMAGE_MAX_BYTES
                        + "-byte image limit");
            }
            return FileSource.of("stdin", bytes, options.encoding());
        } catch (ImageRejectedException e) {
            throw new IngestException("stdin: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IngestException("cannot read stdin: " + e.getMessage(), e);
        }
    }
}
