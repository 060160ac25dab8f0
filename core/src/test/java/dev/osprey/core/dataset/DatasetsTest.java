package dev.osprey.core.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.RawImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir
    Path tmp;

    @Test
    void detectsEachKind() throws Exception {
        Path idx = tmp.resolve("mnist");
        IdxWriter.writeSplit(idx, Split.TEST, TestData.gray(3, 2, 2, 2), true);
        Path cifar = Files.createDirectories(tmp.resolve("cifar"));
        Files.write(cifar.resolve("data_batch_3.bin"), new byte[3073]);
        Path folder = Files.createDirectories(tmp.resolve("pets/cat"));
        Files.write(folder.resolve("x.png"), ImageEncoder.png(new RawImage(2, 2, 1, new byte[4])));
        Path file = Files.write(tmp.resolve("photo.dat"), ImageEncoder.jpeg(new RawImage(2, 2, 3, new byte[12])));

        assertThat(Datasets.detect(idx)).isEqualTo(DatasetKind.IDX);
        assertThat(Datasets.detect(cifar)).isEqualTo(DatasetKind.CIFAR10);
        assertThat(Datasets.detect(tmp.resolve("pets"))).isEqualTo(DatasetKind.IMAGE_FOLDER);
        assertThat(Datasets.detect(file)).isEqualTo(DatasetKind.IMAGE_FILE);

        assertThat(Datasets.load(idx, Split.TEST).size()).isEqualTo(3);
        assertThat(Datasets.load(cifar, Split.TRAIN).size()).isEqualTo(1);
        assertThat(Datasets.load(tmp.resolve("pets"), Split.TRAIN).classNames()).containsExactly("cat");
    }

    @Test
    void singleImageIsAOneImageUnlabelledDataset() throws Exception {
        RawImage image = new RawImage(3, 2, 3, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18});
        Path file = Files.write(tmp.resolve("one.png"), ImageEncoder.png(image));
        Dataset d = Datasets.load(file, Split.TEST);
        assertThat(d.size()).isEqualTo(1);
        assertThat(d.label(0)).isEqualTo(-1);
        assertThat(d.image(0)).isEqualTo(image);
        assertThat(d.name()).isEqualTo("one.png");
    }

    @Test
    void corruptSingleImageSaysWhy() throws Exception {
        Path file = Files.write(tmp.resolve("bad.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        assertThatThrownBy(() -> Datasets.load(file, Split.TEST)).isInstanceOf(DatasetException.class)
                .hasMessageStartingWith(file + ": corrupt-image:");
    }

    @Test
    void missingPath() {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> Datasets.load(missing, Split.TRAIN)).isInstanceOf(DatasetException.class)
                .hasMessage("no such file or directory: " + missing);
    }

    @Test
    void unrecognisedDirectoryListsWhatWasFoundAndExpected() throws Exception {
        Files.writeString(tmp.resolve("readme.txt"), "hi");
        Files.createDirectories(tmp.resolve("sub"));
        assertThatThrownBy(() -> Datasets.detect(tmp)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("found readme.txt, sub/")
                .hasMessageContaining("train-images-idx3-ubyte[.gz]")
                .hasMessageContaining("data_batch_1.bin")
                .hasMessageContaining("<class>/<image>.png|jpg|jpeg|bmp");
    }

    @Test
    void unrecognisedFileSuggestsTheDirectory() throws Exception {
        Path idx = tmp.resolve("train-images-idx3-ubyte");
        IdxWriter.writeImages(idx, TestData.gray(1, 2, 2, 1));
        assertThatThrownBy(() -> Datasets.detect(idx)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("give the directory that holds them");
    }

    @Test
    void locatorPrefersFlagThenEnvironmentThenDebian() {
        Map<String, String> env = new HashMap<>();
        assertThat(DatasetLocator.resolve(null, env)).isEqualTo(Path.of("/usr/share/datasets/fashion-mnist"));
        env.put("OSPREY_DATA", "  ");
        assertThat(DatasetLocator.resolve(null, env)).isEqualTo(DatasetLocator.DEBIAN_FASHION_MNIST);
        env.put("OSPREY_DATA", "/data/cifar");
        assertThat(DatasetLocator.resolve(null, env)).isEqualTo(Path.of("/data/cifar"));
        assertThat(DatasetLocator.resolve(Path.of("mine"), env)).isEqualTo(Path.of("mine"));
    }
}
