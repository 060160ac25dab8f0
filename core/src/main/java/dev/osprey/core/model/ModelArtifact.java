package dev.osprey.core.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A trained model as one self-describing value: its {@link ModelManifest} and the DJL parameter
 * file ({@code Block.saveParameters}) of the block its {@link Architecture} builds.
 *
 * <p>On the wire and on disk it is a ZIP archive with two entries: {@code manifest.json} (the
 * manifest's fields plus {@code formatVersion}) and {@code weights.params}. The manifest's
 * {@code weightsSha256} always matches the weights: the constructor enforces it, so an instance
 * in memory is never a tampered one. Equality is by content. The archive form is read and written
 * by {@link ArtifactCodec}, the DJL model made by {@link ArtifactLoader}.
 *
 * @param manifest what the weights are
 * @param weights  the DJL parameter file bytes
 */
public record ModelArtifact(ModelManifest manifest, byte[] weights) {

    /** The {@code formatVersion} this code writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;
    /** ZIP entry holding the manifest JSON. */
    public static final String MANIFEST_ENTRY = "manifest.json";
    /** ZIP entry holding the DJL parameter file. */
    public static final String WEIGHTS_ENTRY = "weights.params";
    /** The DJL engine every artifact is made for. */
    public static final String ENGINE = "PyTorch";

    public ModelArtifact {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(weights, "weights");
        if (weights.length > ArtifactLimits.MAX_MODEL_BYTES) {
            throw new IllegalArgumentException(weights.length + " bytes of weights: the model size limit is "
                    + ArtifactLimits.MAX_MODEL_BYTES);
        }
        weights = weights.clone();
        String actual = sha256(weights);
        if (!actual.equalsIgnoreCase(manifest.weightsSha256())) {
            throw new IllegalArgumentException("weights checksum mismatch: manifest says " + manifest.weightsSha256()
                    + ", " + WEIGHTS_ENTRY + " has " + actual + " (ModelArtifact.of computes it)");
        }
    }

    /**
     * An artifact whose manifest carries the SHA-256 of {@code weights}, whatever checksum
     * {@code manifest} had before.
     */
    public static ModelArtifact of(ModelManifest manifest, byte[] weights) {
        ModelManifest m = manifest;
        String sha = sha256(weights);
        ModelManifest withSha = new ModelManifest(m.name(), m.version(), m.architecture(), m.input(),
                m.normalization(), m.classes(), m.training(), m.metrics(), m.parentVersion(), sha, m.createdAt(),
                m.outputs(), m.sourceSha256());
        return new ModelArtifact(withSha, weights);
    }

    /** A copy of the weights. */
    @Override
    public byte[] weights() {
        return weights.clone();
    }

    /** The weights themselves, not a copy, for the codec and the loader, which only read them. */
    byte[] weightBytes() {
        return weights;
    }

    /**
     * The architecture the manifest names.
     *
     * @throws IllegalArgumentException for an imported TorchScript model ({@link ModelManifest#torchScript()}),
     *                                  which has none of Osprey's architectures
     */
    public Architecture architecture() {
        return Architecture.fromId(manifest.architecture());
    }

    /** The same weights under another name, version and parent version. */
    public ModelArtifact withVersion(String name, int version, int parentVersion) {
        return new ModelArtifact(manifest.withVersion(name, version, parentVersion), weights);
    }

    /** The archive bytes: the value published on the {@code models} topic. */
    public byte[] toBytes() {
        return ArtifactCodec.toBytes(this);
    }

    /**
     * Parses and checks archive bytes.
     *
     * @throws InvalidArtifactException if the bytes are not a ZIP, an entry is missing or twice there,
     *                                  an entry passes its {@link ArtifactLimits limits} while inflating
     *                                  (size, ratio, the declared size), the manifest does not parse,
     *                                  names an unknown architecture or an input beyond the bounds, or
     *                                  the weights do not match the manifest's checksum
     */
    public static ModelArtifact fromBytes(byte[] bytes) throws InvalidArtifactException {
        return ArtifactCodec.fromBytes(bytes);
    }

    /** Writes the archive to {@code file} atomically (a temporary file beside it, then a rename). */
    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, toBytes());
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads and checks an archive file; see {@link #fromBytes(byte[])}. */
    public static ModelArtifact read(Path file) throws InvalidArtifactException, IOException {
        try {
            return fromBytes(Files.readAllBytes(file));
        } catch (InvalidArtifactException e) {
            throw new InvalidArtifactException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A new DJL model on {@code device} with the architecture's block and these weights loaded.
     * The caller owns and closes it.
     *
     * @throws InvalidArtifactException if the block cannot be built or the weights do not fit it;
     *                                  nothing is left open then
     */
    public Model newModel(Device device) throws InvalidArtifactException {
        return ArtifactLoader.load(this, device);
    }

    /** {@link #newModel(Device)} on DJL's default device: a GPU if the engine sees one, else the CPU. */
    public Model newModel() throws InvalidArtifactException {
        return newModel(Engine.getEngine(ENGINE).defaultDevice());
    }

    /** Hex SHA-256 of {@code bytes}, lower case, as stored in {@code weightsSha256}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelArtifact a && manifest.equals(a.manifest) && Arrays.equals(weights, a.weights);
    }

    @Override
    public int hashCode() {
        return 31 * manifest.hashCode() + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "ModelArtifact[" + manifest.tag() + ", " + manifest.architecture() + ", " + weights.length
                + " weight bytes, sha256 " + manifest.weightsSha256().substring(0, Math.min(12,
                manifest.weightsSha256().length())) + "]";
    }
}
