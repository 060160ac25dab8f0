package dev.osprey.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where a running {@code osprey demo} says its broker is: {@code ~/.osprey/demo-broker} (under
 * {@code OSPREY_HOME} when set) holds its {@code host:port} while the demo runs, so that the
 * commands pasted from the README in another terminal find it without {@code --bootstrap-servers}.
 */
final class DemoBrokerFile {

    static final String ENV_HOME = "OSPREY_HOME";

    private final Path file;

    DemoBrokerFile(Path file) {
        this.file = file;
    }

    /** The file for this user and environment. */
    static DemoBrokerFile of(Map<String, String> env) {
        String home = env.get(ENV_HOME);
        Path dir = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".osprey");
        return new DemoBrokerFile(dir.resolve("demo-broker"));
    }

    Path path() {
        return file;
    }

    /** The address a running demo wrote, if any (an unreadable or empty file counts as none). */
    Optional<String> read() {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Writes {@code bootstrap}; a failure only costs the discovery, so it is reported, not thrown. */
    void write(String bootstrap) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, bootstrap + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("osprey demo: cannot write " + file + " (other commands will need --bootstrap-servers "
                    + bootstrap + "): " + e.getMessage());
        }
    }

    /** Removes the file if it still names {@code bootstrap} (a newer demo may have replaced it). */
    void removeIfOwn(String bootstrap) {
        if (read().filter(bootstrap::equals).isPresent()) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                System.err.println("osprey demo: cannot remove " + file + ": " + e.getMessage());
            }
        }
    }
}
