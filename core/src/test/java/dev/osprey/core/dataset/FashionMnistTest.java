package dev.osprey.core.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Fashion-MNIST from Debian's dataset-fashion-mnist; skipped where it is not installed. */
class FashionMnistTest {

    @BeforeEach
    void needsFashionMnist() {
        TestData.assumeFashionMnist();
    }

    @Test
    void testSplitIsTenThousandImagesInTenBalancedClasses() throws Exception {
        Path path = DatasetLocator.resolve(null, Map.of());
        assertThat(Datasets.detect(path)).isEqualTo(DatasetKind.IDX);
        Dataset test = Datasets.load(path, Split.TEST);
        assertThat(test.name()).isEqualTo("fashion-mnist/test");
        assertThat(test.size()).isEqualTo(10_000);
        assertThat(test.width()).isEqualTo(28);
        assertThat(test.height()).isEqualTo(28);
        assertThat(test.channels()).isEqualTo(1);
        assertThat(test.classNames()).containsExactly("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
        int[] perClass = new int[10];
        for (int label : test.labels()) {
            perClass[label]++;
        }
        assertThat(perClass).containsOnly(1000);
        // Published facts of the test split: the first image is an ankle boot, the second a pullover.
        assertThat(test.labels()).startsWith(9, 2, 1, 1, 6);
        assertThat(Arrays.stream(test.labels()).distinct().count()).isEqualTo(10);
    }

    @Test
    void truncatedCopyNamesFileOffsetAndCounts(@TempDir Path tmp) throws Exception {
        byte[] raw = TestData.gunzip(TestData.FASHION.resolve("t10k-images-idx3-ubyte.gz"));
        assertThat(raw).hasSize(16 + 10_000 * 784);
        Path cut = tmp.resolve("t10k-images-idx3-ubyte.gz");
        Files.write(cut, TestData.gzip(Arrays.copyOf(raw, raw.length - 784)));
        assertThatThrownBy(() -> IdxReader.readImages(cut)).isInstanceOf(DatasetException.class)
                .hasMessageStartingWith(cut + ": truncated at byte 7839232 (expected 7840016): "
                        + "header says 10000 images of 28x28, file holds 9999");
    }
}
