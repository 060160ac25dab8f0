package dev.osprey.core.dataset;

import java.nio.file.Path;
import java.util.Map;

/** Where the dataset is: the {@code --data} flag, else {@code OSPREY_DATA}, else Debian's Fashion-MNIST. */
public final class DatasetLocator {

    /** Installed by Debian's {@code dataset-fashion-mnist} package, in the original IDX format. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** The environment variable naming the dataset path. */
    public static final String ENV = "OSPREY_DATA";

    private DatasetLocator() {
    }

    /**
     * The dataset path to use. It is not checked here: {@link Datasets#load} says clearly when it
     * does not exist, and the CLI may offer to install the Debian package.
     *
     * @param flagValue the {@code --data} value, or {@code null} when not given
     * @param env       the environment, e.g. {@code System.getenv()}
     */
    public static Path resolve(Path flagValue, Map<String, String> env) {
        if (flagValue != null) {
            return flagValue;
        }
        String fromEnv = env == null ? null : env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv.trim());
        }
        return DEBIAN_FASHION_MNIST;
    }
}
