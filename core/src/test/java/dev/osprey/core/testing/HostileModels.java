package dev.osprey.core.testing;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.format.Json;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Real artifacts made hostile: broken weights, and ZIP bombs. */
public final class HostileModels {

    private HostileModels() {
    }

    /**
     * {@code artifact}'s weights as version {@code version}, with the first {@code count} weights of
     * the first parameter's first row set to {@code value} (NaN, or {@code Float.MAX_VALUE} to
     * overflow on bright pixels while a zero image still gives finite logits).
     */
    public static ModelArtifact withWeights(ModelArtifact artifact, int version, float value, int count) {
        try (Model model = artifact.newModel(Device.cpu())) {
            Block block = model.getBlock();
            NDArray first = block.getParameters().valueAt(0).getArray();
            first.set(new NDIndex("0, 0:" + count), value);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                block.saveParameters(out);
            }
            ModelManifest m = artifact.manifest();
            return ModelArtifact.of(m.withVersion(m.name(), version, m.parentVersion()), bytes.toByteArray());
        } catch (InvalidArtifactException e) {
            throw new IllegalArgumentException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A ZIP bomb: {@code artifact}'s manifest as version {@code version} (declaring no weights size) and a {@code weights.params}
     * of {@code inflated} zero bytes, which deflate about 1000:1. Only the archive is ever in memory.
     */
    public static byte[] zipBomb(ModelArtifact artifact, int version, long inflated) {
        ModelManifest m = artifact.manifest();
        byte[] manifest = entry(artifact.withVersion(m.name(), version, m.parentVersion()).toBytes());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry(ModelArtifact.MANIFEST_ENTRY));
            zip.write(manifest);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(ModelArtifact.WEIGHTS_ENTRY));
            byte[] zeros = new byte[1 << 20];
            for (long left = inflated; left > 0; left -= zeros.length) {
                zip.write(zeros, 0, (int) Math.min(left, zeros.length));
            }
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The manifest entry of an archive without its declared weights size: a bomb does not say. */
    private static byte[] entry(byte[] archive) {
        try (ZipInputStream in = new ZipInputStream(
                new ByteArrayInputStream(archive))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (ModelArtifact.MANIFEST_ENTRY.equals(e.getName())) {
                    ObjectNode manifest = (ObjectNode) Json.mapper().readTree(in.readAllBytes());
                    manifest.remove("weightsBytes");
                    return Json.mapper().writeValueAsBytes(manifest);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no manifest in the archive");
    }
}
