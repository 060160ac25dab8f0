package dev.osprey.core.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDirectoryReaderTest {

    @TempDir
    Path tmp;

    @Test
    void readsBothSplitsUnderStandardNames() throws Exception {
        Path dir = tmp.resolve("mnist");
        Dataset train = TestData.gray(30, 3, 3, 10);
        Dataset test = TestData.gray(10, 3, 3, 10);
        IdxWriter.writeSplit(dir, Split.TRAIN, train, true);
        IdxWriter.writeSplit(dir, Split.TEST, test, false);

        Dataset readTrain = IdxDirectoryReader.read(dir, Split.TRAIN);
        assertThat(readTrain.name()).isEqualTo("mnist/train");
        assertThat(readTrain.pixels()).isEqualTo(train.pixels());
        assertThat(readTrain.classNames()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        Dataset readTest = IdxDirectoryReader.read(dir, Split.TEST);
        assertThat(readTest.name()).isEqualTo("mnist/test");
        assertThat(readTest.labels()).containsExactly(test.labels());
    }

    @Test
    void fashionInTheDirectoryNameGivesFashionNames() throws Exception {
        Path dir = tmp.resolve("My-Fashion-Data");
        IdxWriter.writeSplit(dir, Split.TEST, TestData.gray(10, 2, 2, 10), true);
        assertThat(IdxDirectoryReader.read(dir, Split.TEST).classNames()).isEqualTo(ClassNames.FASHION_MNIST);
    }

    @Test
    void classesTxtOverrides() throws Exception {
        Path dir = tmp.resolve("fashion-custom");
        IdxWriter.writeSplit(dir, Split.TEST, TestData.gray(6, 2, 2, 3), false);
        Files.writeString(dir.resolve("classes.txt"), "cat\n\n  dog \nbird\n");
        assertThat(IdxDirectoryReader.read(dir, Split.TEST).classNames()).containsExactly("cat", "dog", "bird");
        Files.writeString(dir.resolve("classes.txt"), "cat\ndog\n");
        assertThatThrownBy(() -> IdxDirectoryReader.read(dir, Split.TEST)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("classes.txt").hasMessageContaining("lists 2 class names");
    }

    @Test
    void otherClassCountsAreNumbered() throws Exception {
        Path dir = tmp.resolve("emnist");
        Dataset d = TestData.gray(47, 2, 2, 47);
        Files.createDirectories(dir);
        IdxWriter.writeImages(dir.resolve("emnist-balanced-train-images-idx3-ubyte.gz"), d);
        IdxWriter.writeLabels(dir.resolve("emnist-balanced-train-labels-idx1-ubyte.gz"), d.labels());
        Dataset read = IdxDirectoryReader.read(dir, Split.TRAIN);
        assertThat(read.classNames()).hasSize(47).startsWith("class 0", "class 1").endsWith("class 46");
        assertThat(read.name()).isEqualTo("emnist/train");
    }

    @Test
    void looseNamesAreFoundAndPaired() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("kmnist"));
        Dataset d = TestData.gray(4, 2, 2, 2);
        IdxWriter.writeImages(dir.resolve("kmnist-test-imgs.idx3-ubyte"), d);
        IdxWriter.writeLabels(dir.resolve("kmnist-test-labels.idx1-ubyte"), d.labels());
        Files.writeString(dir.resolve("kmnist-test-imgs.npz"), "not idx");
        assertThat(IdxDirectoryReader.find(dir, Split.TEST).images().getFileName().toString())
                .isEqualTo("kmnist-test-imgs.idx3-ubyte");
        assertThat(IdxDirectoryReader.read(dir, Split.TEST).size()).isEqualTo(4);
    }

    @Test
    void plainFileIsPreferredToItsGzippedTwin() throws Exception {
        Path dir = tmp.resolve("both");
        IdxWriter.writeSplit(dir, Split.TRAIN, TestData.gray(3, 2, 2, 2), true);
        IdxWriter.writeSplit(dir, Split.TRAIN, TestData.gray(3, 2, 2, 2), false);
        IdxDirectoryReader.IdxFiles files = IdxDirectoryReader.find(dir, Split.TRAIN);
        assertThat(files.images().getFileName().toString()).isEqualTo("train-images-idx3-ubyte");
        assertThat(files.labels().getFileName().toString()).isEqualTo("train-labels-idx1-ubyte");
    }

    @Test
    void severalDatasetsInOneDirectoryAreAmbiguous() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("emnist-all"));
        Dataset d = TestData.gray(2, 2, 2, 2);
        for (String kind : List.of("balanced", "letters")) {
            IdxWriter.writeImages(dir.resolve("emnist-" + kind + "-test-images-idx3-ubyte"), d);
            IdxWriter.writeLabels(dir.resolve("emnist-" + kind + "-test-labels-idx1-ubyte"), d.labels());
        }
        assertThatThrownBy(() -> IdxDirectoryReader.read(dir, Split.TEST)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("several test image files")
                .hasMessageContaining("emnist-balanced-test-images-idx3-ubyte")
                .hasMessageContaining("emnist-letters-test-images-idx3-ubyte");
    }

    @Test
    void missingSplitSaysWhatWasExpected() throws Exception {
        Path dir = tmp.resolve("only-train");
        IdxWriter.writeSplit(dir, Split.TRAIN, TestData.gray(2, 2, 2, 2), true);
        assertThatThrownBy(() -> IdxDirectoryReader.read(dir, Split.TEST)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("no test images")
                .hasMessageContaining("t10k-images-idx3-ubyte[.gz]")
                .hasMessageContaining("found train-images-idx3-ubyte.gz");
    }

    @Test
    void missingLabels() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("no-labels"));
        IdxWriter.writeImages(dir.resolve("train-images-idx3-ubyte"), TestData.gray(2, 2, 2, 2));
        assertThatThrownBy(() -> IdxDirectoryReader.read(dir, Split.TRAIN)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("no labels for train-images-idx3-ubyte");
    }
}
