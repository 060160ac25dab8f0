package dev.osprey.core.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.nn.Block;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.osprey.core.format.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A trained model as one self-describing value: its {@link ModelManifest} and the DJL parameter
 * file ({@code Block.saveParameters}) of the block its {@link Architecture} builds.
 *
 * <p>On the wire and on disk it is a ZIP archive with two entries: {@code manifest.json} (the
 * manifest's fields plus {@code formatVersion}) and {@code weights.params}. The manifest's
 * {@code weightsSha256} always matches the weights: the constructor enforces it, so an instance
 * in memory is never a tampered one. Equality is by content.
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

    private static final String FORMAT_FIELD = "formatVersion";
    // The size of weights.params, so a reader can refuse a lying archive before inflating it.
    private static final String WEIGHTS_BYTES_FIELD = "weightsBytes";
    // Osprey's shared mapper plus java.time, so createdAt reads and writes as an ISO-8601 instant
    // (the shared mapper writes dates as text, not timestamps).
    private static final ObjectMapper MAPPER = Json.mapper().copy().registerModule(new JavaTimeModule());
    // A fixed entry time keeps toBytes() a pure function of the content.
    private static final long ENTRY_TIME = 315532800000L; // 1980-01-01T00:00:00Z, the ZIP epoch

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
        ByteArrayOutputStream out = new ByteArrayOutputStream(weights.length + 4096);
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            putEntry(zip, MANIFEST_ENTRY, manifestJson());
            putEntry(zip, WEIGHTS_ENTRY, weights);
        } catch (IOException e) {
            // Only in-memory streams are involved.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
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
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length < 4 || bytes[0] != 'P' || bytes[1] != 'K' || bytes[2] != 3 || bytes[3] != 4) {
            throw new InvalidArtifactException("not a model artifact: " + bytes.length
                    + " bytes that do not start with a ZIP header");
        }
        if (bytes.length > ArtifactLimits.MAX_MODEL_BYTES) {
            throw new InvalidArtifactException("model artifact of " + bytes.length + " bytes: the limit is "
                    + ArtifactLimits.MAX_MODEL_BYTES);
        }
        byte[] manifestBytes = null;
        byte[] weightBytes = null;
        long declared = -1;
        ArtifactLimits.CountingInputStream archive = new ArtifactLimits.CountingInputStream(
                new ByteArrayInputStream(bytes));
        try (ZipInputStream zip = new ZipInputStream(archive)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName();
                if (MANIFEST_ENTRY.equals(name)) {
                    refuseDuplicate(name, manifestBytes);
                    manifestBytes = ArtifactLimits.inflateToArray(zip, name, archive,
                            ArtifactLimits.MAX_MANIFEST_BYTES, "the limit");
                    declared = declaredWeightsBytes(manifestBytes);
                } else if (WEIGHTS_ENTRY.equals(name)) {
                    refuseDuplicate(name, weightBytes);
                    weightBytes = declared >= 0
                            ? ArtifactLimits.inflateToArray(zip, name, archive, declared, "what the manifest declares")
                            : ArtifactLimits.inflateToArray(zip, name, archive, ArtifactLimits.MAX_MODEL_BYTES,
                                    "the model size limit");
                } else {
                    // Skipping an entry inflates it too: bound it like the others, keep nothing.
                    ArtifactLimits.inflate(zip, name, archive, ArtifactLimits.MAX_MODEL_BYTES, "the model size limit",
                            null);
                }
            }
        } catch (IOException e) {
            throw new InvalidArtifactException("model artifact is not a readable ZIP archive: " + e.getMessage(), e);
        }
        if (manifestBytes == null) {
            throw new InvalidArtifactException("model artifact has no " + MANIFEST_ENTRY + " entry");
        }
        if (weightBytes == null) {
            throw new InvalidArtifactException("model artifact has no " + WEIGHTS_ENTRY + " entry");
        }
        if (declared >= 0 && weightBytes.length != declared) {
            throw new InvalidArtifactException("model artifact: " + WEIGHTS_ENTRY + " has " + weightBytes.length
                    + " bytes, the manifest declares " + declared);
        }
        ModelManifest manifest = parseManifest(manifestBytes);
        ArtifactLimits.checkShape(manifest);
        try {
            return new ModelArtifact(manifest, weightBytes); // checks the checksum: one SHA-256 pass
        } catch (IllegalArgumentException e) {
            throw new InvalidArtifactException("model artifact " + manifest.tag() + ": " + e.getMessage(), e);
        }
    }

    private static void refuseDuplicate(String name, byte[] seen) throws InvalidArtifactException {
        if (seen != null) {
            throw new InvalidArtifactException("model artifact has two " + name + " entries");
        }
    }

    /**
     * The weights size {@code manifest.json} declares ({@value #WEIGHTS_BYTES_FIELD}), or -1 when it
     * declares none (artifacts written before it existed) or does not parse (parsing reports that).
     */
    private static long declaredWeightsBytes(byte[] json) throws InvalidArtifactException {
        JsonNode size;
        try {
            JsonNode tree = MAPPER.readTree(json);
            size = tree == null ? null : tree.get(WEIGHTS_BYTES_FIELD);
        } catch (IOException e) {
            return -1;
        }
        if (size == null) {
            return -1;
        }
        if (!size.canConvertToLong() || size.asLong() < 0) {
            throw new InvalidArtifactException(MANIFEST_ENTRY + ": " + WEIGHTS_BYTES_FIELD + " is not a size: " + size);
        }
        if (size.asLong() > ArtifactLimits.MAX_MODEL_BYTES) {
            throw new InvalidArtifactException(MANIFEST_ENTRY + " declares " + size.asLong()
                    + " bytes of weights: the limit is " + ArtifactLimits.MAX_MODEL_BYTES);
        }
        return size.asLong();
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
        if (manifest.torchScript()) {
            try {
                return TorchScriptLoader.load(manifest.tag(), weights, device);
            } catch (InvalidArtifactException e) {
                throw new InvalidArtifactException(manifest.tag() + ": " + e.getMessage(), e);
            }
        }
        Architecture arch;
        try {
            arch = architecture();
        } catch (IllegalArgumentException e) {
            throw new InvalidArtifactException(manifest.tag() + ": " + e.getMessage(), e);
        }
        Model model = Model.newInstance(manifest.tag(), device, ENGINE);
        try {
            Block block = arch.newBlock(manifest.input(), manifest.classes().size());
            model.setBlock(block);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(weights))) {
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

    private byte[] manifestJson() throws JsonProcessingException {
        ObjectMapper mapper = MAPPER;
        ObjectNode node = mapper.createObjectNode();
        node.put(FORMAT_FIELD, FORMAT_VERSION);
        node.put(WEIGHTS_BYTES_FIELD, weights.length);
        node.setAll((ObjectNode) mapper.valueToTree(manifest));
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
    }

    private static ModelManifest parseManifest(byte[] json) throws InvalidArtifactException {
        ObjectMapper mapper = MAPPER;
        ModelManifest manifest;
        try {
            JsonNode tree = mapper.readTree(json);
            if (tree == null || !tree.isObject()) {
                throw new InvalidArtifactException(MANIFEST_ENTRY + " is not a JSON object");
            }
            JsonNode format = tree.get(FORMAT_FIELD);
            if (format == null || !format.canConvertToInt()) {
                throw new InvalidArtifactException(MANIFEST_ENTRY + " has no integer " + FORMAT_FIELD);
            }
            if (format.asInt() < 1 || format.asInt() > FORMAT_VERSION) {
                throw new InvalidArtifactException(MANIFEST_ENTRY + " has " + FORMAT_FIELD + " " + format.asInt()
                        + "; this Osprey reads 1 to " + FORMAT_VERSION);
            }
            ((ObjectNode) tree).remove(FORMAT_FIELD);
            ((ObjectNode) tree).remove(WEIGHTS_BYTES_FIELD);
            manifest = mapper.treeToValue(tree, ModelManifest.class);
        } catch (IOException e) {
            String head = new String(json, 0, Math.min(json.length, 80), StandardCharsets.UTF_8);
            throw new InvalidArtifactException("bad " + MANIFEST_ENTRY + ": " + firstLine(e.getMessage())
                    + " (starts with: " + head.strip() + ")", e);
        }
        try {
            if (!manifest.torchScript()) {
                Architecture.fromId(manifest.architecture());
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidArtifactException("model artifact " + manifest.tag() + ": " + e.getMessage(), e);
        }
        return manifest;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static void putEntry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(ENTRY_TIME);
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
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
