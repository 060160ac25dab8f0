package dev.osprey.core.dataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A dataset that cannot be read: missing, of an unknown layout, or malformed. The message is
 * meant for the person who gave the path, so it names the file and, for malformed contents, the
 * byte offset (in the uncompressed data for gzipped files) where reading went wrong.
 */
public final class DatasetException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    /** {@code "<file>: <detail>"}. */
    public DatasetException(Path file, String detail) {
        this(file, -1, detail, null);
    }

    /** {@code "<file>: <detail>"}, where {@code detail} mentions {@code offset}. */
    public DatasetException(Path file, long offset, String detail) {
        this(file, offset, detail, null);
    }

    /** {@code "<file>: <detail>"}, caused by a lower-level failure. */
    public DatasetException(Path file, String detail, Throwable cause) {
        this(file, -1, detail, cause);
    }

    /** {@code "<file>: <detail>"} at {@code offset}, caused by a lower-level failure. */
    public DatasetException(Path file, long offset, String detail, Throwable cause) {
        this(Objects.requireNonNull(file, "file") + ": " + detail, file, offset, cause);
    }

    private DatasetException(String message, Path file, long offset, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.offset = offset;
    }

    /** The path does not exist: {@code "no such file or directory: <path>"}. */
    public static DatasetException missing(Path path) {
        return new DatasetException("no such file or directory: " + path, path, -1, null);
    }

    /** The file or directory the problem is in. */
    public Path file() {
        return file;
    }

    /** The byte offset of the problem, where one applies. */
    public OptionalLong offset() {
        return offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset);
    }
}
