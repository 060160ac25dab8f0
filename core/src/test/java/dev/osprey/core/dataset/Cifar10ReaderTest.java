package dev.osprey.core.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.ImageTransforms;
import dev.osprey.core.image.RawImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {

    @TempDir
    Path tmp;

    /** Fashion-MNIST images made 32x32 colour, each channel different so plane mix-ups show. */
    private static Dataset colouredFashion(int from, int count) throws Exception {
        Dataset gray = IdxDirectoryReader.read(TestData.FASHION, Split.TEST).select(
                IntStream.range(from, from + count).toArray());
        byte[] px = new byte[count * Cifar10Reader.PIXEL_BYTES];
        for (int i = 0; i < count; i++) {
            RawImage big = ImageTransforms.resize(gray.image(i), 32, 32);
            for (int p = 0; p < 32 * 32; p++) {
                int v = big.pixels()[p] & 0xFF;
                px[(i * 1024 + p) * 3] = (byte) v;
                px[(i * 1024 + p) * 3 + 1] = (byte) (255 - v);
                px[(i * 1024 + p) * 3 + 2] = (byte) (v / 2 + p % 7);
            }
        }
        return new Dataset("fashion-colour", 32, 32, 3, px, gray.labels(), gray.classNames());
    }

    @Test
    void roundTripOfColouredFashionMnist() throws Exception {
        TestData.assumeFashionMnist();
        Path dir = Files.createDirectories(tmp.resolve("fashion-cifar"));
        Dataset first = colouredFashion(0, 40);
        Dataset second = colouredFashion(40, 25);
        Dataset test = colouredFashion(100, 10);
        Cifar10Writer.writeBatch(dir.resolve("data_batch_1.bin"), first);
        Cifar10Writer.writeBatch(dir.resolve("data_batch_2.bin"), second);
        Cifar10Writer.writeBatch(dir.resolve("test_batch.bin"), test);
        Cifar10Writer.writeMeta(dir, first);
        assertThat(Files.size(dir.resolve("data_batch_1.bin"))).isEqualTo(40L * 3073);

        Dataset train = Cifar10Reader.read(dir, Split.TRAIN);
        assertThat(train.name()).isEqualTo("fashion-cifar/train");
        assertThat(train.size()).isEqualTo(65);
        assertThat(train.classNames()).isEqualTo(ClassNames.FASHION_MNIST);
        assertThat(train.head(40).pixels()).isEqualTo(first.pixels());
        assertThat(train.select(IntStream.range(40, 65).toArray()).pixels())
                .isEqualTo(second.pixels());
        assertThat(Arrays.copyOfRange(train.labels(), 40, 65)).containsExactly(second.labels());
        assertThat(Cifar10Reader.read(dir, Split.TEST).image(3)).isEqualTo(test.image(3));
    }

    @Test
    void planesBecomeInterleavedPixels() throws Exception {
        byte[] record = new byte[Cifar10Reader.RECORD_BYTES];
        record[0] = 7;
        record[1] = 10;                 // R of pixel (0,0)
        record[1 + 1024] = 20;          // G of pixel (0,0)
        record[1 + 2048] = 30;          // B of pixel (0,0)
        record[1 + 33] = 40;            // R of pixel (1,1)
        record[1 + 2048 + 1023] = 50;   // B of pixel (31,31)
        Files.write(tmp.resolve("test_batch.bin"), record);
        Dataset d = Cifar10Reader.read(tmp, Split.TEST);
        RawImage image = d.image(0);
        assertThat(d.label(0)).isEqualTo(7);
        assertThat(d.classNames()).isEqualTo(ClassNames.CIFAR10);
        assertThat(new int[] {image.get(0, 0, 0), image.get(0, 0, 1), image.get(0, 0, 2)}).containsExactly(10, 20, 30);
        assertThat(image.get(1, 1, 0)).isEqualTo(40);
        assertThat(image.get(31, 31, 2)).isEqualTo(50);
        assertThat(image.get(31, 31, 0)).isZero();
    }

    @Test
    void sizeNotAMultipleOfTheRecordIsTruncated() throws Exception {
        Path file = tmp.resolve("data_batch_1.bin");
        Files.write(file, new byte[3073 * 2 + 100]);
        assertThatThrownBy(() -> Cifar10Reader.read(tmp, Split.TRAIN))
                .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.offset()).hasValue(6146))
                .hasMessageContaining("data_batch_1.bin: truncated at byte 6246")
                .hasMessageContaining("2 records of 3073 bytes and 100 bytes of another, from byte 6146");
    }

    @Test
    void labelWithoutAClassNameIsRejected() throws Exception {
        byte[] records = new byte[3073 * 2];
        records[3073] = 12;
        Files.write(tmp.resolve("test_batch.bin"), records);
        assertThatThrownBy(() -> Cifar10Reader.read(tmp, Split.TEST)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("label 12 at byte 3073 (record 1)");
    }

    @Test
    void archiveFolderIsFoundAndNamesComeFromTheMetaFile() throws Exception {
        Path batches = Files.createDirectories(tmp.resolve("cifar-10-batches-bin"));
        Files.write(batches.resolve("test_batch.bin"), new byte[3073]);
        Files.writeString(batches.resolve("batches.meta.txt"), "a\nb\n\n");
        assertThat(Cifar10Reader.looksLikeCifar(tmp)).isTrue();
        Dataset d = Cifar10Reader.read(tmp, Split.TEST);
        assertThat(d.classNames()).isEqualTo(List.of("a", "b"));
        assertThat(Cifar10Reader.read(batches, Split.TEST).name()).isEqualTo("cifar-10/test");
    }

    @Test
    void missingSplit() throws Exception {
        Files.write(tmp.resolve("test_batch.bin"), new byte[3073]);
        assertThatThrownBy(() -> Cifar10Reader.read(tmp, Split.TRAIN)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("no CIFAR-10 train batches").hasMessageContaining("data_batch_1.bin");
    }
}
