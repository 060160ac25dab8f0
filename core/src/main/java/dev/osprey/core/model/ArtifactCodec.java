package dev.osprey.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.osprey.core.format.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The archive form of a {@link ModelArtifact}: a ZIP of {@code manifest.json} (the manifest's
 * fields plus {@code formatVersion} and {@code weightsBytes}) and {@code weights.params}, read
 * within the {@link ArtifactLimits}. The checksum is checked once, by the artifact's constructor.
 */
final class ArtifactCodec {

    private static final String FORMAT_FIELD = "formatVersion";
    // The size of weights.params, so a reader can refuse a lying archive before inflating it.
    private static final String WEIGHTS_BYTES_FIELD = "weightsBytes";
    // Osprey's shared mapper plus java.time, so createdAt reads and writes as an ISO-8601 instant
    // (the shared mapper writes dates as text, not timestamps).
    private static final ObjectMapper MAPPER = Json.mapper().copy().registerModule(new JavaTimeModule());
    // A fixed entry time keeps toBytes() a pure function of the content.
    private static final long ENTRY_TIME = 315532800000L; // 1980-01-01T00:00:00Z, the ZIP epoch

    private ArtifactCodec() {
    }

    /** The archive bytes of {@code a}. */
    static byte[] toBytes(ModelArtifact a) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.weightBytes().length + 4096);
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            putEntry(zip, ModelArtifact.MANIFEST_ENTRY, manifestJson(a));
            putEntry(zip, ModelArtifact.WEIGHTS_ENTRY, a.weightBytes());
        } catch (IOException e) {
            // Only in-memory streams are involved.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** See {@link ModelArtifact#fromBytes(byte[])}. */
    static ModelArtifact fromBytes(byte[] bytes) throws InvalidArtifactException {
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
                if (ModelArtifact.MANIFEST_ENTRY.equals(name)) {
                    refuseDuplicate(name, manifestBytes);
                    manifestBytes = ArtifactLimits.inflateToArray(zip, name, archive,
                            ArtifactLimits.MAX_MANIFEST_BYTES, "the limit");
                    declared = declaredWeightsBytes(manifestBytes);
                } else if (ModelArtifact.WEIGHTS_ENTRY.equals(name)) {
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
            throw new InvalidArtifactException("model artifact has no " + ModelArtifact.MANIFEST_ENTRY + " entry");
        }
        if (weightBytes == null) {
            throw new InvalidArtifactException("model artifact has no " + ModelArtifact.WEIGHTS_ENTRY + " entry");
        }
        if (declared >= 0 && weightBytes.length != declared) {
            throw new InvalidArtifactException("model artifact: " + ModelArtifact.WEIGHTS_ENTRY + " has " + weightBytes.length
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
            throw new InvalidArtifactException(ModelArtifact.MANIFEST_ENTRY + ": " + WEIGHTS_BYTES_FIELD + " is not a size: " + size);
        }
        if (size.asLong() > ArtifactLimits.MAX_MODEL_BYTES) {
            throw new InvalidArtifactException(ModelArtifact.MANIFEST_ENTRY + " declares " + size.asLong()
                    + " bytes of weights: the limit is " + ArtifactLimits.MAX_MODEL_BYTES);
        }
        return size.asLong();
    }

    private static byte[] manifestJson(ModelArtifact a) throws JsonProcessingException {
        ObjectMapper mapper = MAPPER;
        ObjectNode node = mapper.createObjectNode();
        node.put(FORMAT_FIELD, ModelArtifact.FORMAT_VERSION);
        node.put(WEIGHTS_BYTES_FIELD, a.weightBytes().length);
        node.setAll((ObjectNode) mapper.valueToTree(a.manifest()));
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
    }

    private static ModelManifest parseManifest(byte[] json) throws InvalidArtifactException {
        ObjectMapper mapper = MAPPER;
        ModelManifest manifest;
        try {
            JsonNode tree = mapper.readTree(json);
            if (tree == null || !tree.isObject()) {
                throw new InvalidArtifactException(ModelArtifact.MANIFEST_ENTRY + " is not a JSON object");
            }
            JsonNode format = tree.get(FORMAT_FIELD);
            if (format == null || !format.canConvertToInt()) {
                throw new InvalidArtifactException(ModelArtifact.MANIFEST_ENTRY + " has no integer " + FORMAT_FIELD);
            }
            if (format.asInt() < 1 || format.asInt() > ModelArtifact.FORMAT_VERSION) {
                throw new InvalidArtifactException(ModelArtifact.MANIFEST_ENTRY + " has " + FORMAT_FIELD + " " + format.asInt()
                        + "; this Osprey reads 1 to " + ModelArtifact.FORMAT_VERSION);
            }
            ((ObjectNode) tree).remove(FORMAT_FIELD);
            ((ObjectNode) tree).remove(WEIGHTS_BYTES_FIELD);
            manifest = mapper.treeToValue(tree, ModelManifest.class);
        } catch (IOException e) {
            String head = new String(json, 0, Math.min(json.length, 80), StandardCharsets.UTF_8);
            throw new InvalidArtifactException("bad " + ModelArtifact.MANIFEST_ENTRY + ": " + firstLine(e.getMessage())
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
}
