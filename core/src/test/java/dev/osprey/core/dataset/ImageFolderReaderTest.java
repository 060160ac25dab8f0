package dev.osprey.core.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageTransforms;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

    @TempDir
    Path root;

    private static RawImage gray(int w, int h, int value) {
        byte[] px = new byte[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (value + i % 3);
        }
        return new RawImage(w, h, 1, px);
    }

    private static RawImage rgb(int w, int h, int r, int g, int b) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            px[3 * i] = (byte) r;
            px[3 * i + 1] = (byte) g;
            px[3 * i + 2] = (byte) b;
        }
        return new RawImage(w, h, 3, px);
    }

    private Path put(String relative, byte[] content) throws Exception {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    @Test
    void classesAreSortedSubFoldersAndRootFilesAreUnlabelled() throws Exception {
        put("dog/b.png", ImageEncoder.png(rgb(16, 12, 200, 100, 50)));
        put("dog/a.BMP", ImageEncoder.bmp(rgb(8, 6, 10, 20, 30)));
        put("cat/kitten.jpg", ImageEncoder.jpeg(rgb(8, 6, 128, 128, 128)));
        put("cat/deeper/old.png", ImageEncoder.png(rgb(8, 6, 0, 0, 255)));
        put("cat/broken.png", Arrays.copyOf(ImageEncoder.png(rgb(8, 6, 9, 9, 9)), 40));
        put("cat/notes.txt", "not an image".getBytes());
        put("unknown.png", ImageEncoder.png(rgb(8, 6, 1, 2, 3)));
        put("empty-class/readme.md", new byte[1]);

        ImageFolderReader.Result result = ImageFolderReader.read(root);
        Dataset d = result.dataset();
        assertThat(d.classNames()).containsExactly("cat", "dog", "empty-class");
        assertThat(d.size()).isEqualTo(5);
        assertThat(d.width()).isEqualTo(8);
        assertThat(d.height()).isEqualTo(6);
        assertThat(d.channels()).isEqualTo(3);
        // Sorted by path within each class: cat/deeper/old.png, cat/kitten.jpg, dog/a.BMP, dog/b.png, root.
        assertThat(d.labels()).containsExactly(0, 0, 1, 1, -1);
        // The first file read (cat/deeper/old.png) set the size; dog/b.png was shrunk to it.
        assertThat(d.image(0)).isEqualTo(rgb(8, 6, 0, 0, 255));
        assertThat(d.image(3)).isEqualTo(ImageTransforms.resize(rgb(16, 12, 200, 100, 50), 8, 6));
        assertThat(d.image(2)).isEqualTo(rgb(8, 6, 10, 20, 30));
        assertThat(d.image(4)).isEqualTo(rgb(8, 6, 1, 2, 3));
        assertThat(result.problems()).extracting(p -> root.relativize(p.file()).toString())
                .containsExactlyInAnyOrder("cat/broken.png", "empty-class");
        assertThat(result.problems()).filteredOn(p -> p.file().endsWith("broken.png")).singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("corrupt-image: "));
    }

    @Test
    void firstImageDecidesTheSizeAndAnyColourMakesAllRgb() throws Exception {
        put("a/1.png", ImageEncoder.png(gray(4, 4, 60)));
        put("a/2.png", ImageEncoder.png(gray(8, 8, 60)));
        put("b/3.bmp", ImageEncoder.bmp(rgb(4, 4, 255, 0, 0)));
        Dataset d = ImageFolderReader.read(root).dataset();
        assertThat(d.inputSpec()).isEqualTo(new InputSpec(3, 4, 4));
        assertThat(d.image(0)).isEqualTo(ImageTransforms.withChannels(gray(4, 4, 60), 3));
        assertThat(d.image(2).get(0, 0, 0)).isEqualTo(255);
    }

    @Test
    void targetSpecConvertsSizeAndChannels() throws Exception {
        put("a/1.png", ImageEncoder.png(rgb(56, 56, 255, 0, 0)));
        put("a/2.png", ImageEncoder.png(gray(20, 20, 90)));
        Dataset d = ImageFolderReader.read(root, null, new InputSpec(1, 28, 28)).dataset();
        assertThat(d.inputSpec()).isEqualTo(new InputSpec(1, 28, 28));
        assertThat(d.image(0).get(5, 5, 0)).isEqualTo(ImageTransforms.luminance(255, 0, 0));
        assertThat(d.size()).isEqualTo(2);
    }

    @Test
    void imagesThatCannotBeResizedSensiblyAreSkipped() throws Exception {
        put("a/1.png", ImageEncoder.png(gray(28, 28, 0)));
        put("a/2.png", ImageEncoder.png(gray(100, 10, 0)));
        ImageFolderReader.Result result = ImageFolderReader.read(root);
        assertThat(result.dataset().size()).isEqualTo(1);
        assertThat(result.problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("bad-dimensions: ").contains("100x10"));
    }

    @Test
    void trainAndTestSubFoldersAreSplits() throws Exception {
        put("train/cat/1.png", ImageEncoder.png(gray(4, 4, 1)));
        put("train/dog/2.png", ImageEncoder.png(gray(4, 4, 2)));
        put("test/cat/3.png", ImageEncoder.png(gray(4, 4, 3)));
        Dataset test = ImageFolderReader.read(root, Split.TEST, null).dataset();
        assertThat(test.size()).isEqualTo(1);
        assertThat(test.name()).endsWith("/test");
        assertThat(ImageFolderReader.read(root, Split.TRAIN, null).dataset().classNames()).containsExactly("cat", "dog");
    }

    @Test
    void nothingReadableIsAnError() throws Exception {
        put("a/bad.jpg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 1});
        assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("no readable images").hasMessageContaining("bad.jpg");
    }
}
