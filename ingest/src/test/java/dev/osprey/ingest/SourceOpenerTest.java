package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.ingest.source.ImageSource;
import dev.osprey.ingest.source.SourceImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
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
    void aTruncatedIdxFileIsNamedWithTheOffsetWhereItEnds() throws Exception {
        Dataset data = TestDatasets.gray("digits", 10, 6);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        Path images = idx.resolve("train-images-idx3-ubyte");
        long full = Files.size(images);
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, (int) full - 100));

        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder(idx.toString())
                .split(Split.TRAIN).build(), NO_STDIN))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith(images.toString())
                .hasMessageContaining("truncated at byte " + (full - 100))
                .hasMessageContaining("10 images of 28x28");
    }

    @Test
    void aTruncatedGzippedIdxFileIsNamedToo() throws Exception {
        Dataset data = TestDatasets.gray("digits", 10, 6);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        Path images = idx.resolve("t10k-images-idx3-ubyte.gz");
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder(idx.toString()).build(), NO_STDIN))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith(images.toString())
                .hasMessageContaining("uncompressed");
    }

    @Test
    void aHeaderWhoseCountDisagreesWithTheFileSizeIsRefused() throws Exception {
        Dataset data = TestDatasets.gray("digits", 10, 6);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        Path images = idx.resolve("train-images-idx3-ubyte");
        byte[] bytes = Files.readAllBytes(images);
        // The header says 9 images; the file still holds 10.
        ByteBuffer.wrap(bytes).putInt(4, 9);
        Files.write(images, bytes);
        IngestOptions train = IngestOptions.builder(idx.toString()).split(Split.TRAIN).build();

        assertThatThrownBy(() -> SourceOpener.open(train, NO_STDIN))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith(images.toString())
                .hasMessageContaining("trailing data at byte " + (16 + 9 * 784))
                .hasMessageContaining("9 images");

        // ...and one that promises more than the file holds.
        ByteBuffer.wrap(bytes).putInt(4, 11);
        Files.write(images, bytes);
        assertThatThrownBy(() -> SourceOpener.open(train, NO_STDIN))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith(images.toString())
                .hasMessageContaining("truncated at byte " + (16 + 10 * 784))
                .hasMessageContaining("header says 11 images");
    }

    @Test
    void anImageFileThatCannotBeDecodedIsNamedWithTheReason() throws Exception {
        byte[] pixels = new byte[64 * 64];
        new Random(3).nextBytes(pixels);
        byte[] png = ImageEncoder.png(new RawImage(64, 64, 1, pixels));
        Path broken = Files.write(dir.resolve("broken.png"), Arrays.copyOf(png, png.length / 2));

        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder(broken.toString()).build(), NO_STDIN))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith(broken + ": ")
                .hasMessageContaining("corrupt PNG image");
    }

    @Test
    void anImageFileThatCannotBeReadIsNamed() throws Exception {
        // Something that passes for an image file by name but cannot be read as one (here a
        // directory: unlike missing permissions, root cannot read it either).
        Path notAFile = Files.createDirectories(dir.resolve("photo.png"));

        assertThatThrownBy(() -> SourceOpener.open(
                IngestOptions.builder(notAFile.toString()).format(DatasetKind.IMAGE_FILE).build(), NO_STDIN))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith(notAFile + ": cannot read");
    }

    @Test
    void aFolderSkipsAndReportsBadFilesAndKeepsTheRest() throws Exception {
        Path root = dir.resolve("shoes");
        Files.createDirectories(root.resolve("boot"));
        Files.createDirectories(root.resolve("sandal"));
        RawImage image = new RawImage(4, 4, 1, new byte[16]);
        Files.write(root.resolve("boot/a.png"), ImageEncoder.png(image));
        Files.write(root.resolve("boot/b.bmp"), ImageEncoder.bmp(image));
        Files.write(root.resolve("sandal/c.jpg"), ImageEncoder.jpeg(image));
        Path text = Files.writeString(root.resolve("sandal/notes.png"), "not an image", StandardCharsets.UTF_8);
        byte[] png = ImageEncoder.png(image);
        Path cut = Files.write(root.resolve("boot/cut.png"), Arrays.copyOf(png, png.length / 2));

        ImageSource source = SourceOpener.open(IngestOptions.builder(root.toString()).build(), NO_STDIN);

        assertThat(source.size()).isEqualTo(3);
        assertThat(source.skipped()).hasSize(2);
        assertThat(source.skipped()).anySatisfy(line -> assertThat(line).startsWith(text.toString()));
        assertThat(source.skipped()).anySatisfy(line -> assertThat(line).startsWith(cut.toString()));
        assertThat(IntStream.range(0, 3).map(i -> source.image(i).label()))
                .containsExactlyInAnyOrder(0, 0, 1);
    }

    @Test
    void emptyStdinIsRefused() {
        assertThatThrownBy(() -> SourceOpener.open(IngestOptions.builder("-").build(), NO_STDIN))
                .isInstanceOf(IngestException.class).hasMessageContaining("stdin is empty");
    }
}
