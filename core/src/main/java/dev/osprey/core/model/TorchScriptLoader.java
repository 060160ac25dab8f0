package dev.osprey.core.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads a TorchScript file (from {@code torch.jit.trace} or {@code torch.jit.script}) held in memory
 * into a DJL PyTorch model. libtorch reads a module only from a file, so the bytes go to a private
 * temporary directory that is deleted as soon as the module is in memory.
 */
final class TorchScriptLoader {

    // DJL's PyTorch engine looks for <prefix>.pt in the directory it is given.
    private static final String PREFIX = "model";

    private TorchScriptLoader() {
    }

    /**
     * A new model named {@code name} on {@code device} running the TorchScript module in {@code bytes}.
     * The caller owns and closes it.
     *
     * @throws InvalidArtifactException if the bytes are not a TorchScript module (the message does not
     *                                  repeat {@code name}); nothing is left open then
     */
    static Model load(String name, byte[] bytes, Device device) throws InvalidArtifactException {
        Path dir;
        try {
            dir = Files.createTempDirectory("osprey-torchscript-");
        } catch (IOException e) {
            throw new InvalidArtifactException("no temporary directory for the TorchScript file: "
                    + e.getMessage(), e);
        }
        Path file = dir.resolve(PREFIX + ".pt");
        Model model = null;
        try {
            Files.write(file, bytes);
            model = Model.newInstance(name, device, ModelArtifact.ENGINE);
            // Onto the model's device, wherever the file was saved from: a classifier on a GPU feeds GPU tensors.
            model.load(dir, PREFIX, Map.of("mapLocation", "true"));
            return model;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            if (model != null) {
                model.close();
            }
            // The caller names the model: the classifier by its tag, the import by its file.
            throw new InvalidArtifactException("not a TorchScript module that this PyTorch can load ("
                    + firstLine(e.getMessage()) + ")", e);
        } finally {
            deleteQuietly(file);
            deleteQuietly(dir);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A leftover file in the temporary directory is harmless; the model is already loaded.
            p.toFile().deleteOnExit();
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
