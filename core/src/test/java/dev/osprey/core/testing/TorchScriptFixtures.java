package dev.osprey.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Real TorchScript files for tests, made by {@code scripts/export_tutorial_mlp.py} with a Python that
 * has PyTorch (Debian's {@code python3-torch}). A test that needs one is skipped, saying why, where
 * there is no such Python.
 */
public final class TorchScriptFixtures {

    // Debian's interpreter first: the one python3-torch installs into; a pyenv python3 on PATH lacks torch.
    private static final List<String> INTERPRETERS = List.of("/usr/bin/python3", "python3");
    private static volatile Optional<String> python;

    private TorchScriptFixtures() {
    }

    /** A Python interpreter that can {@code import torch}, if there is one. */
    public static synchronized Optional<String> python() {
        if (python == null) {
            python = INTERPRETERS.stream().filter(TorchScriptFixtures::hasTorch).findFirst();
        }
        return python;
    }

    /** Skips the calling test, saying why, unless a Python with PyTorch is there. */
    public static String assumePython() {
        Optional<String> p = python();
        Assumptions.assumeTrue(p.isPresent(), "no Python that can 'import torch' (tried " + INTERPRETERS
                + "); install Debian's python3-torch");
        return p.get();
    }

    /** The export script, found from the module directory Maven runs tests in or the project root. */
    public static Path script() {
        for (Path p : List.of(Path.of("../scripts/export_tutorial_mlp.py"), Path.of("scripts/export_tutorial_mlp.py"))) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("scripts/export_tutorial_mlp.py not found from " + Path.of("").toAbsolutePath());
    }

    /**
     * Runs the export script with {@code args} (plus {@code --out file}) and returns the JSON line it
     * printed last; skips the test when there is no Python with PyTorch.
     */
    public static String export(Path file, String... args) throws IOException, InterruptedException {
        String py = assumePython();
        List<String> command = new ArrayList<>(List.of(py, script().toString(), "--out", file.toString()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile("osprey-export-", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("export script did not finish in 10 minutes: " + command);
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || lines.isEmpty()) {
                throw new IllegalStateException("export script failed (exit " + p.exitValue() + "): "
                        + String.join("\n", lines));
            }
            return lines.get(lines.size() - 1);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The tutorial MLP, untrained (seeded), as TorchScript; {@code softmax} ends it with a softmax. */
    public static Path untrainedMlp(Path dir, boolean softmax) throws IOException, InterruptedException {
        Path file = dir.resolve(softmax ? "mlp-softmax.pt" : "mlp.pt");
        if (softmax) {
            export(file, "--epochs", "0", "--softmax");
        } else {
            export(file, "--epochs", "0");
        }
        return file;
    }

    private static boolean hasTorch(String interpreter) {
        try {
            Process p = new ProcessBuilder(interpreter, "-c", "import torch").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
