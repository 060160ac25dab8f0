package dev.osprey.trainer.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a block's parameters to bytes and back, in the parameter-file format that
 * {@code ModelArtifact} stores, so a checkpoint can live in memory without touching the disk.
 */
final class BlockWeights {

    private BlockWeights() {
    }

    /** The block's parameter file bytes, as {@code ModelArtifact} stores them. */
    static byte[] save(Block block) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            block.saveParameters(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Replaces the block's parameters with {@code weights}, freeing the arrays they replace. */
    static void load(Block block, NDManager manager, byte[] weights) {
        List<NDArray> old = new ArrayList<>();
        for (Parameter p : block.getParameters().values()) {
            if (p.isInitialized()) {
                old.add(p.getArray());
            }
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(weights))) {
            block.loadParameters(manager, in);
        } catch (IOException | MalformedModelException e) {
            throw new IllegalArgumentException("weights do not fit the block: " + e.getMessage(), e);
        }
        old.forEach(NDArray::close);
        for (Parameter p : block.getParameters().values()) {
            // loadParameters creates plain arrays; training needs gradients on them again.
            p.getArray().setRequiresGradient(p.requiresGradient());
        }
    }
}
