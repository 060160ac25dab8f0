package dev.osprey.core.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;

/** Makes a DJL {@link Model} of a {@link ModelArtifact}: its architecture's block with its weights loaded. */
final class ArtifactLoader {

    private ArtifactLoader() {
    }

    /** See {@link ModelArtifact#newModel(Device)}. */
    static Model load(ModelArtifact artifact, Device device) throws InvalidArtifactException {
        ModelManifest manifest = artifact.manifest();
        if (manifest.torchScript()) {
            try {
                return TorchScriptLoader.load(manifest.tag(), artifact.weightBytes(), device);
            } catch (InvalidArtifactException e) {
                throw new InvalidArtifactException(manifest.tag() + ": " + e.getMessage(), e);
            }
        }
        Architecture arch;
        try {
            arch = artifact.architecture();
        } catch (IllegalArgumentException e) {
            throw new InvalidArtifactException(manifest.tag() + ": " + e.getMessage(), e);
        }
        Model model = Model.newInstance(manifest.tag(), device, ModelArtifact.ENGINE);
        try {
            Block block = arch.newBlock(manifest.input(), manifest.classes().size());
            model.setBlock(block);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(artifact.weightBytes()))) {
                block.loadParameters(model.getNDManager(), in);
                if (in.read() != -1) {
                    throw new MalformedModelException("trailing bytes after the parameters");
                }
            }
            return model;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new InvalidArtifactException(manifest.tag() + ": weights do not load into a " + arch.id()
                    + " block for input " + manifest.input() + " and " + manifest.classes().size() + " classes: "
                    + e.getMessage(), e);
        }
    }
}
