package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.ingest.source.ImageSource;
import dev.osprey.ingest.source.SourceImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceOpenerTest {

    private static final InputStream NO_STDIN = InputStream.nullInputStream();

    @TempDir
    Path dir;

    @Test
    void aMissingPathIsNamedInTheError() {
        Path missing = dir.resolve("nowhere/fashion");
        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder(missing.toString()).build(), NO_STDIN))
                .isInstanceOf(IngestException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void aFileThatIsNoDatasetOrImageIsRefused() throws Exception {
        Path junk = Files.writeString(dir.resolve("notes.txt"), "hello", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder(junk.toString()).build(), NO_STDIN))
                .isInstanceOf(IngestException.class).hasMessageContaining(junk.toString());
        assertThatThrownBy(() -> SourceOpener.open(
                IngestOptions.builder(junk.toString()).format(DatasetKind.IMAGE_FILE).build(), NO_STDIN))
                .isInstanceOf(IngestException.class).hasMessageContaining(junk.toString());
    }

    @Test
    void readsAnIdxDirectory() throws Exception {
        Dataset data = TestDatasets.gray("digits", 12, 5);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        ImageSource source = SourceOpener.open(IngestOptions.builder(idx.toString()).build(), NO_STDIN);
        assertThat(source.size()).isEqualTo(12);
        assertThat(source.image(3).value()).isEqualTo(data.image(3).pixels());
        assertThat(source.image(3).label()).isEqualTo(3);
    }

    @Test
    void sendsAnImageFileAsItIsAndStdinToo() throws Exception {
        byte[] png = ImageEncoder.png(new RawImage(3, 2, 1, new byte[] {1, 2, 3, 4, 5, 6}));
        Path file = Files.write(dir.resolve("cat 1.png"), png);

        SourceImage image = SourceOpener.open(IngestOptions.builder(file.toString()).build(), NO_STDIN).image(0);
        assertThat(image.value()).isEqualTo(png);
        assertThat(image.idStem()).isEqualTo("cat_1.png");
        assertThat(image.labelled()).isFalse();
        RecordHeaders headers = new RecordHeaders(image.headers());
        assertThat(ImageHeaders.text(headers, ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.PNG);

        SourceImage raw = SourceOpener.open(IngestOptions.builder("-").encoding(ImageEncoding.RAW).build(),
                new ByteArrayInputStream(png)).image(0);
        assertThat(raw.value()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(ImageHeaders.text(new RecordHeaders(raw.headers()), ImageHeaders.WIDTH)).hasValue("3");
    }

    @Test
    void emptyStdinIsRefused() {
        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder("-").build(), NO_STDIN))
                .isInstanceOf(IngestException.class).hasMessageContaining("stdin is empty");
    }
}
