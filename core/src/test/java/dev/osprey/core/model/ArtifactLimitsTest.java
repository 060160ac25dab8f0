package dev.osprey.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.InputSpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hostile archives are refused, with one reason, before they cost more than their limit. */
class ArtifactLimitsTest {

    private static final InputSpec GRAY28 = new InputSpec(1, 28, 28);
    private static final List<String> TEN = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private static Map<String, byte[]> goodEntries() throws Exception {
        return ModelArtifactTest.entries(ModelArtifactTest.untrained(Architecture.MLP, GRAY28, TEN).toBytes());
    }

    private static String manifest(Map<String, byte[]> entries) {
        return new String(entries.get(ModelArtifact.MANIFEST_ENTRY), StandardCharsets.UTF_8);
    }

    @Test
    void theManifestDeclaresTheWeightsSize() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        assertThat(manifest(entries))
                .contains("\"weightsBytes\" : " + entries.get(ModelArtifact.WEIGHTS_ENTRY).length)
                .as("java.time writes the instant as ISO-8601 text")
                .contains("\"createdAt\" : \"2025-01-02T03:04:05.123456789Z\"");
    }

    @Test
    void aZipBombIsRefusedByItsInflationRatio() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        // Without a declared size, only the ratio stops 10 MB of zeros (about 10 KB compressed).
        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+,", "")
                .getBytes(StandardCharsets.UTF_8));
        entries.put(ModelArtifact.WEIGHTS_ENTRY, new byte[10 << 20]);
        byte[] bomb = ModelArtifactTest.zip(entries);
        assertThat(bomb.length).isLessThan(100_000);

        assertThatThrownBy(() -> ModelArtifact.fromBytes(bomb)).isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("weights.params inflates more than 50:1").hasMessageContaining("ZIP bomb");
    }

    @Test
    void anUnknownEntryIsBoundedToo() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(goodEntries());
        entries.put("padding.bin", new byte[10 << 20]);
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("padding.bin inflates more than 50:1");
    }

    @Test
    void weightsBeyondTheModelSizeLimitAreRefusedWhileInflating() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+,", "")
                .getBytes(StandardCharsets.UTF_8));
        // Two symbols per byte: about 8:1, within the ratio, and still more than the limit.
        byte[] big = new byte[ArtifactLimits.MAX_MODEL_BYTES + (1 << 20)];
        Random random = new Random(7);
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) random.nextInt(2);
        }
        entries.put(ModelArtifact.WEIGHTS_ENTRY, big);
        byte[] archive = ModelArtifactTest.zip(entries);
        assertThat(archive.length).isLessThan(ArtifactLimits.MAX_MODEL_BYTES);

        assertThatThrownBy(() -> ModelArtifact.fromBytes(archive)).isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("weights.params inflates to more than " + ArtifactLimits.MAX_MODEL_BYTES);
    }

    @Test
    void weightsLongerThanDeclaredAreRefusedAtTheDeclaredSize() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+",
                "\"weightsBytes\" : 1000").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("inflates to more than 1000 bytes, what the manifest declares");
    }

    @Test
    void weightsShorterThanDeclaredAreRefused() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        int actual = entries.get(ModelArtifact.WEIGHTS_ENTRY).length;
        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+",
                "\"weightsBytes\" : " + (actual + 1)).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("has " + actual + " bytes, the manifest declares " + (actual + 1));
    }

    @Test
    void aDeclaredSizeBeyondTheLimitOrNotASizeIsRefused() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+",
                "\"weightsBytes\" : 1073741824").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("declares 1073741824 bytes of weights: the limit is "
                        + ArtifactLimits.MAX_MODEL_BYTES);

        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+",
                "\"weightsBytes\" : -5").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("weightsBytes is not a size");
    }

    @Test
    void anArtifactWithoutADeclaredSizeStillReads() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        entries.put(ModelArtifact.MANIFEST_ENTRY, manifest(entries).replaceAll("\"weightsBytes\" : \\d+,", "")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)).weights())
                .isEqualTo(entries.get(ModelArtifact.WEIGHTS_ENTRY));
    }

    @Test
    void duplicateEntriesAreRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(goodEntries());
        entries.put("weights.paramX", entries.get(ModelArtifact.WEIGHTS_ENTRY));
        // ZipOutputStream refuses a duplicate name, so rename the third entry in the archive's bytes.
        byte[] archive = ModelArtifactTest.zip(entries);
        byte[] from = "weights.paramX".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + from.length <= archive.length; i++) {
            if (Arrays.equals(archive, i, i + from.length, from, 0, from.length)) {
                archive[i + from.length - 1] = 's';
            }
        }
        byte[] doubled = archive;
        assertThatThrownBy(() -> ModelArtifact.fromBytes(doubled))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("two weights.params entries");
    }

    @Test
    void inputShapesBeyondTheBoundsAreRefused() throws Exception {
        Map<String, byte[]> entries = goodEntries();
        String wide = manifest(entries).replaceAll("\"width\" : 28", "\"width\" : 2000");
        entries.put(ModelArtifact.MANIFEST_ENTRY, wide.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("larger than 1024 pixels on a side");

        String big = manifest(goodEntries()).replaceAll("\"width\" : 28", "\"width\" : 1000")
                .replaceAll("\"height\" : 28", "\"height\" : 1000");
        entries.put(ModelArtifact.MANIFEST_ENTRY, big.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ModelArtifact.fromBytes(ModelArtifactTest.zip(entries)))
                .isInstanceOf(InvalidArtifactException.class).hasMessageContaining("has more than 786432 values");
    }

    @Test
    void anArchiveBeyondTheLimitIsRefusedUnread() {
        byte[] huge = new byte[ArtifactLimits.MAX_MODEL_BYTES + 1];
        huge[0] = 'P';
        huge[1] = 'K';
        huge[2] = 3;
        huge[3] = 4;
        assertThatThrownBy(() -> ModelArtifact.fromBytes(huge)).isInstanceOf(InvalidArtifactException.class)
                .hasMessageContaining("the limit is " + ArtifactLimits.MAX_MODEL_BYTES);
    }
}
