package dev.osprey.core.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {

    @TempDir
    Path dir;

    private Path writeImages(Dataset d, String name) throws Exception {
        Path file = dir.resolve(name);
        IdxWriter.writeImages(file, d);
        return file;
    }

    private Path writeLabels(Dataset d, String name) throws Exception {
        Path file = dir.resolve(name);
        IdxWriter.writeLabels(file, d.labels());
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".gz"})
    void roundTrip(String suffix) throws Exception {
        Dataset d = TestData.gray(7, 5, 4, 3);
        Path images = writeImages(d, "x-images-idx3-ubyte" + suffix);
        Path labels = writeLabels(d, "x-labels-idx1-ubyte" + suffix);
        assertThat(Files.readAllBytes(images)[0] == (byte) 0x1F).isEqualTo(!suffix.isEmpty());

        IdxReader.Images read = IdxReader.readImages(images);
        assertThat(read.count()).isEqualTo(7);
        assertThat(read.height()).isEqualTo(5);
        assertThat(read.width()).isEqualTo(4);
        assertThat(read.pixels()).isEqualTo(d.pixels());
        assertThat(IdxReader.readLabels(labels)).containsExactly(d.labels());
        assertThat(IdxReader.read(images, labels, "synthetic", d.classNames())).isEqualTo(d);
    }

    @Test
    void colourImagesRoundTripWithAFourthDimension() throws Exception {
        Dataset d = TestData.synthetic("rgb", 3, 2, 5, 3, 2);
        Path images = writeImages(d, "rgb-images-idx3-ubyte");
        assertThat(Files.readAllBytes(images)[3]).isEqualTo((byte) 4);
        assertThat(IdxReader.read(images, writeLabels(d, "rgb-labels"), "rgb", d.classNames())).isEqualTo(d);
    }

    @Test
    void gzipIsRecognisedByItsSignatureNotItsName() throws Exception {
        Dataset d = TestData.gray(3, 2, 2, 2);
        Path gz = writeImages(d, "real.gz");
        Path misnamed = dir.resolve("images-without-suffix");
        Files.copy(gz, misnamed);
        assertThat(IdxReader.readImages(misnamed).pixels()).isEqualTo(d.pixels());
        Path plain = writeImages(d, "plain");
        Path fakeGz = dir.resolve("plain-but-named.gz");
        Files.copy(plain, fakeGz);
        assertThat(IdxReader.readImages(fakeGz).pixels()).isEqualTo(d.pixels());
    }

    @Test
    void emptyLabelsDefaultToDigitsForTenClasses() throws Exception {
        Dataset d = TestData.gray(20, 2, 2, 10);
        Dataset read = IdxReader.read(writeImages(d, "i"), writeLabels(d, "l"), "digits", List.of());
        assertThat(read.classNames()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }

    @Test
    void truncatedDataNamesTheOffsetAndTheCounts() throws Exception {
        Dataset d = TestData.gray(3, 4, 5, 2);
        Path full = writeImages(d, "full");
        byte[] bytes = Files.readAllBytes(full);
        Path cut = dir.resolve("cut-images-idx3-ubyte");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 20));
        // 16 header bytes + 2 whole images of 20 bytes = 56; the file should end at 76.
        assertThatThrownBy(() -> IdxReader.readImages(cut))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.offset()).hasValue(56);
                    assertThat(e.file()).isEqualTo(cut);
                })
                .hasMessage(cut + ": truncated at byte 56 (expected 76): header says 3 images of 4x5, file holds 2");
    }

    @Test
    void partialImageIsReported() throws Exception {
        Path full = writeImages(TestData.gray(3, 4, 5, 2), "full");
        Path cut = dir.resolve("cut");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(full), 16 + 20 + 7));
        assertThatThrownBy(() -> IdxReader.readImages(cut)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("truncated at byte 43").hasMessageContaining("file holds 1 and 7 bytes of the next");
    }

    @Test
    void truncatedGzipStreamIsTruncatedToo() throws Exception {
        Dataset d = TestData.gray(50, 10, 10, 2);
        Path gz = writeImages(d, "images.gz");
        byte[] bytes = Files.readAllBytes(gz);
        Path cut = dir.resolve("cut.gz");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> IdxReader.readImages(cut)).isInstanceOf(DatasetException.class)
                .hasMessageStartingWith(cut + ": truncated at byte ")
                .hasMessageContaining("header says 50 images of 10x10")
                .hasMessageContaining("uncompressed");
    }

    @Test
    void trailingDataIsAnError() throws Exception {
        Path full = writeImages(TestData.gray(2, 3, 3, 2), "full");
        Path longer = dir.resolve("longer");
        byte[] bytes = Files.readAllBytes(full);
        Files.write(longer, Arrays.copyOf(bytes, bytes.length + 5));
        assertThatThrownBy(() -> IdxReader.readImages(longer))
                .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.offset()).hasValue(34))
                .hasMessageContaining("trailing data at byte 34").hasMessageContaining("2 images of 3x3");
    }

    @Test
    void badMagicIsNamed() throws Exception {
        Path file = dir.resolve("not-idx");
        Files.writeString(file, "hello world, not an IDX file");
        assertThatThrownBy(() -> IdxReader.readImages(file)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("bad magic number 0x68656c6c at byte 0");
    }

    @Test
    void onlyUnsignedBytesAreSupported() throws Exception {
        Path file = dir.resolve("floats");
        Files.write(file, new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
        assertThatThrownBy(() -> IdxReader.readLabels(file)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("data type 0x0d at byte 2");
    }

    @Test
    void labelFileIsNotAnImageFile() throws Exception {
        Path labels = writeLabels(TestData.gray(2, 2, 2, 2), "labels");
        assertThatThrownBy(() -> IdxReader.readImages(labels)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("byte 3 says 1 dimensions");
    }

    @Test
    void headerTruncatedOrZeroSized() throws Exception {
        Path empty = dir.resolve("empty");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> IdxReader.readImages(empty)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("truncated at byte 0 in the header");
        Path shortHeader = dir.resolve("short");
        Files.write(shortHeader, new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0});
        assertThatThrownBy(() -> IdxReader.readImages(shortHeader)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("truncated at byte 10 in the header");
        Path zeroRows = dir.resolve("zero");
        Files.write(zeroRows, new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1});
        assertThatThrownBy(() -> IdxReader.readImages(zeroRows)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("dimension 1 at byte 8 is 0");
    }

    @Test
    void countsOfImagesAndLabelsMustAgree() throws Exception {
        Path images = writeImages(TestData.gray(5, 2, 2, 2), "i");
        Path labels = writeLabels(TestData.gray(4, 2, 2, 2), "l");
        assertThatThrownBy(() -> IdxReader.read(images, labels, "x", List.of()))
                .isInstanceOf(DatasetException.class).hasMessageContaining("4 labels, but i holds 5 images");
    }

    @Test
    void labelsBeyondTheClassNamesAreRejectedWithTheirOffset() throws Exception {
        Dataset d = TestData.gray(4, 2, 2, 4);
        Path images = writeImages(d, "i");
        Path labels = writeLabels(d, "l");
        assertThatThrownBy(() -> IdxReader.read(images, labels, "x", List.of("a", "b")))
                .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.offset()).hasValue(10))
                .hasMessageContaining("label 2 of image 2 at byte 10");
    }

    @Test
    void missingFile() {
        Path nothing = dir.resolve("nothing");
        assertThatThrownBy(() -> IdxReader.readLabels(nothing)).isInstanceOf(DatasetException.class)
                .hasMessage("no such file or directory: " + nothing);
    }
}
