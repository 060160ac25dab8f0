package dev.osprey.app;

import dev.osprey.core.dataset.DatasetLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --data}: where the dataset is, and what to do when the default one is missing. */
final class DataOptions {

    static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";

    @Option(names = "--data", paramLabel = "DIR",
            description = "Dataset: an MNIST-format IDX directory, CIFAR-10 binary batches or an image folder "
                    + "(env OSPREY_DATA, default " + "/usr/share/datasets/fashion-mnist).")
    Path data;

    /** The dataset path; the default Debian dataset is installed when missing and this process is root. */
    Path resolve(boolean installIfMissing) throws IOException, InterruptedException {
        Path path = DatasetLocator.resolve(data, System.getenv());
        if (Files.exists(path) || !path.equals(DatasetLocator.DEBIAN_FASHION_MNIST)) {
            return path;
        }
        if (installIfMissing && isRoot() && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            System.err.println("Fashion-MNIST is not installed: running apt-get install -y " + DEBIAN_PACKAGE);
            int code = new ProcessBuilder("bash", "-c", "apt-get install -y " + DEBIAN_PACKAGE
                    + " || (apt-get update && apt-get install -y " + DEBIAN_PACKAGE + ")")
                    .inheritIO().start().waitFor();
            if (code == 0 && Files.exists(path)) {
                return path;
            }
        }
        throw new IllegalArgumentException("no dataset at " + path + ": install it with 'sudo apt-get install -y "
                + DEBIAN_PACKAGE + "', or point --data (or OSPREY_DATA) at an MNIST-format directory");
    }

    private static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
