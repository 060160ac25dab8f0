package dev.osprey.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.osprey.core.image.InputSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelArtifactTest {

    private static final InputSpec GRAY28 = new InputSpec(1, 28, 28);
    private static final InputSpec RGB32 = new InputSpec(3, 32, 32);
    private static final List<String> TEN = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /** An artifact with freshly initialised (untrained) weights. */
    static ModelArtifact untrained(Architecture arch, InputSpec input, List<String> classes) throws IOException {
        try (Model model = Model.newInstance("untrained", Device.cpu(), ModelArtifact.ENGINE)) {
            Block block = arch.newBlock(input, classes.size());
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32,
                    new Shape(1, input.channels(), input.height(), input.width()));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                block.saveParameters(out);
            }
            Normalization norm = input.channels() == 1
                    ? new Normalization(new float[] {0.286f}, new float[] {0.353f})
                    : Normalization.unit(3);
            ModelManifest manifest = new ModelManifest("test-" + arch.id(), 0, arch.id(), input, norm, classes,
                    Map.of("dataset", "none", "epochs", 0), Map.of("testAccuracy", 0.1), 0, "unset",
                    Instant.parse("2025-01-02T03:04:05.123456789Z"));
            return ModelArtifact.of(manifest, bytes.toByteArray());
        }
    }

    @Test
    void bytesRoundTripKeepsEverything() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);

        byte[] bytes = a.toBytes();
        ModelArtifact back = ModelArtifact.fromBytes(bytes);

        assertThat(back).isEqualTo(a);
        assertThat(back.manifest()).isEqualTo(a.manifest());
        assertThat(back.weights()).isEqualTo(a.weights());
        assertThat(back.toBytes()).as("serialisation is a pure function of the content").isEqualTo(bytes);
        assertThat(a.manifest().weightsSha256()).isEqualTo(ModelArtifact.sha256(a.weights())).hasSize(64);
    }

    @Test
    void manifestEntryIsReadableJsonWithFormatVersion() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);

        String json = new String(entries(a.toBytes()).get(ModelArtifact.MANIFEST_ENTRY), StandardCharsets.UTF_8);

        assertThat(json).contains("\"formatVersion\" : 1", "\"architecture\" : \"mlp\"",
                "\"createdAt\" : \"2025-01-02T03:04:05.123456789Z\"");
    }

    @Test
    void fileRoundTrip(@TempDir Path dir) throws Exception {
        ModelArtifact a = untrained(Architecture.CNN, GRAY28, TEN);
        Path file = dir.resolve("models/fashion.osprey");

        a.write(file);

        assertThat(ModelArtifact.read(file)).isEqualTo(a);
        try (var files = Files.list(file.getParent())) {
            assertThat(files).as("no temporary file left behind").containsExactly(file);
        }
    }

    @Test
    void withVersionRenamesAndKeepsWeights() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);

        ModelArtifact v3 = a.withVersion("fashion", 3, 2);

        assertThat(v3.manifest().tag()).isEqualTo("fashion:v3");
        assertThat(v3.manifest().parentVersion()).isEqualTo(2);
        assertThat(v3.weights()).isEqualTo(a.weights());
        assertThat(v3).isNotEqualTo(a);
    }

    @Test
    void tamperedWeightsFailTheChecksum() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);
        Map<String, byte[]> entries = entries(a.toBytes());
        byte[] weights = entries.get(ModelArtifact.WEIGHTS_ENTRY);
        weights[weights.length - 3] ^= 0x40;

        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(entries)))
                .isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining(a.manifest().weightsSha256());
    }

    @Test
    void constructorRefusesAMismatchedChecksum() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);
        byte[] other = a.weights();
        other[0] ^= 1;

        assertThatThrownBy(() -> new ModelArtifact(a.manifest(), other))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checksum");
    }

    @Test
    void garbageIsNotAnArtifact() {
        assertThatThrownBy(() -> ModelArtifact.fromBytes("hello, world".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("ZIP header");
        assertThatThrownBy(() -> ModelArtifact.fromBytes(new byte[0]))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("ZIP header");
        byte[] truncated = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 1, 2, 3};
        assertThatThrownBy(() -> ModelArtifact.fromBytes(truncated))
                .isInstanceOf(InvalidArtifactException.class);
    }

    @Test
    void missingEntriesAreNamed() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);
        Map<String, byte[]> noWeights = entries(a.toBytes());
        noWeights.remove(ModelArtifact.WEIGHTS_ENTRY);
        Map<String, byte[]> noManifest = entries(a.toBytes());
        noManifest.remove(ModelArtifact.MANIFEST_ENTRY);

        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(noWeights)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("no weights.params");
        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(noManifest)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("no manifest.json");
    }

    @Test
    void badManifestJsonIsRefused() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);
        Map<String, byte[]> entries = entries(a.toBytes());

        entries.put(ModelArtifact.MANIFEST_ENTRY, "{\"formatVersion\": 1, \"name\": ".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("bad manifest.json");

        entries.put(ModelArtifact.MANIFEST_ENTRY, "{\"name\": \"x\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("formatVersion");

        entries.put(ModelArtifact.MANIFEST_ENTRY, "{\"formatVersion\": 99}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("formatVersion 99");

        entries.put(ModelArtifact.MANIFEST_ENTRY, "{\"formatVersion\": 1, \"name\": \"x\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("bad manifest.json");
    }

    @Test
    void unknownArchitectureIsRefusedWithTheValidIds() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);
        Map<String, byte[]> entries = entries(a.toBytes());
        String json = new String(entries.get(ModelArtifact.MANIFEST_ENTRY), StandardCharsets.UTF_8)
                .replace("\"architecture\" : \"mlp\"", "\"architecture\" : \"resnet-9000\"");
        entries.put(ModelArtifact.MANIFEST_ENTRY, json.getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> ModelArtifact.fromBytes(zip(entries)))
                .isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("resnet-9000")
                .hasMessageContaining("mlp, cnn, cifar-cnn");
    }

    @Test
    void untrainedModelsLoadAndPassTheCheck() throws Exception {
        for (ModelArtifact a : List.of(untrained(Architecture.MLP, GRAY28, TEN),
                untrained(Architecture.CNN, GRAY28, TEN),
                untrained(Architecture.CIFAR_CNN, RGB32, TEN),
                untrained(Architecture.MLP, RGB32, List.of("cat", "dog")))) {
            try (Model model = a.newModel(Device.cpu())) {
                ModelCheck.verify(model, a.manifest());
                assertThat(model.getName()).isEqualTo(a.manifest().tag());
            }
        }
    }

    @Test
    void defaultDeviceModelLoads() throws Exception {
        ModelArtifact a = untrained(Architecture.MLP, GRAY28, TEN);
        try (Model model = a.newModel()) {
            ModelCheck.verify(model, a.manifest());
        }
    }

    @Test
    void weightsOfAnotherArchitectureDoNotLoad() throws Exception {
        ModelArtifact mlp = untrained(Architecture.MLP, GRAY28, TEN);
        ModelManifest m = mlp.manifest();
        ModelArtifact lying = ModelArtifact.of(new ModelManifest(m.name(), 1, "cnn", m.input(), m.normalization(),
                m.classes(), m.training(), m.metrics(), 0, "", m.createdAt()), mlp.weights());

        assertThatThrownBy(() -> lying.newModel(Device.cpu()))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("do not load into a cnn block");
    }

    @Test
    void checkCatchesWeightsForAnotherInputSize() throws Exception {
        ModelArtifact mlp = untrained(Architecture.MLP, GRAY28, TEN);
        ModelManifest m = mlp.manifest();
        ModelArtifact lying = ModelArtifact.of(new ModelManifest(m.name(), 1, "mlp", RGB32,
                Normalization.unit(3), m.classes(), m.training(), m.metrics(), 0, "", m.createdAt()), mlp.weights());

        assertThatThrownBy(() -> {
            try (Model model = lying.newModel(Device.cpu())) {
                ModelCheck.verify(model, lying.manifest());
            }
        }).isInstanceOf(InvalidArtifactException.class).hasMessageContaining("3x32x32");
    }

    @Test
    void checkCatchesAWrongClassCount() throws Exception {
        ModelArtifact mlp = untrained(Architecture.MLP, GRAY28, TEN);
        ModelManifest m = mlp.manifest();
        ModelManifest three = new ModelManifest(m.name(), 1, "mlp", m.input(), m.normalization(),
                List.of("a", "b", "c"), m.training(), m.metrics(), 0, m.weightsSha256(), m.createdAt());

        try (Model model = mlp.newModel(Device.cpu())) {
            assertThatThrownBy(() -> ModelCheck.verify(model, three))
                    .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("expected (" + ModelCheck.DEFAULT_BATCH + ", 3)");
        }
    }

    @Test
    void architectureIdsRoundTrip() {
        for (Architecture a : Architecture.values()) {
            assertThat(Architecture.fromId(a.id())).isSameAs(a);
        }
        assertThat(Architecture.fromId(" CIFAR-CNN ")).isSameAs(Architecture.CIFAR_CNN);
        assertThatThrownBy(() -> Architecture.fromId("vgg"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown architecture 'vgg'; valid ids: mlp, cnn, cifar-cnn");
    }

    static Map<String, byte[]> entries(byte[] zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.put(e.getName(), in.readAllBytes());
            }
        }
        return out;
    }

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
