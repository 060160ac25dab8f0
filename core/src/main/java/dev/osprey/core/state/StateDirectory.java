package dev.osprey.core.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's local state directory (Kafka Streams state, a demo's broker data): the one it was
 * given, kept, or a fresh temporary one that it owns and deletes when closed.
 */
public final class StateDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StateDirectory.class);

    private final Path path;
    private final boolean temporary;

    private StateDirectory(Path path, boolean temporary) {
        this.path = path;
        this.temporary = temporary;
    }

    /** {@code given} if present (never deleted), else a new temporary directory named after {@code prefix}. */
    public static StateDirectory of(Optional<Path> given, String prefix) {
        if (given.isPresent()) {
            return new StateDirectory(given.get(), false);
        }
        try {
            return new StateDirectory(Files.createTempDirectory(prefix), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary state directory", e);
        }
    }

    public Path path() {
        return path;
    }

    public boolean temporary() {
        return temporary;
    }

    /** Deletes the directory if it is a temporary one; a file that cannot be deleted is only logged. */
    @Override
    public void close() {
        if (!temporary) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("could not delete {}", p, e);
                }
            });
        } catch (IOException e) {
            LOG.debug("could not delete {}", path, e);
        }
    }

    @Override
    public String toString() {
        return path + (temporary ? " (temporary)" : "");
    }
}
