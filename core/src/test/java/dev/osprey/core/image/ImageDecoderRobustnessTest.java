package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Whatever the bytes, the decoder answers with an image or a reason, never another exception. */
class ImageDecoderRobustnessTest {

    static Stream<Arguments> encoded() {
        return Stream.of(
                Arguments.of("png", ImageEncoder.png(TestImages.random(24, 20, 3, 7))),
                Arguments.of("jpeg", ImageEncoder.jpeg(TestImages.random(24, 20, 3, 8))),
                Arguments.of("bmp", ImageEncoder.bmp(TestImages.random(24, 20, 1, 9))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encoded")
    void everyPrefixDecodesOrIsRejected(String format, byte[] image) {
        int rejected = 0;
        for (int n = 1; n < image.length; n++) {
            rejected += decodesOrRejects(Arrays.copyOf(image, n)) ? 0 : 1;
        }
        // Nearly every strict prefix lacks data the image needs; a few may end inside padding.
        assertThat(rejected).isGreaterThan(image.length * 9 / 10);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encoded")
    void corruptedBytesDecodeOrAreRejected(String format, byte[] image) {
        Random random = new Random(format.hashCode());
        for (int trial = 0; trial < 300; trial++) {
            byte[] copy = image.clone();
            for (int k = 1 + random.nextInt(8); k > 0; k--) {
                copy[random.nextInt(copy.length)] ^= (byte) (1 + random.nextInt(255));
            }
            decodesOrRejects(copy);
        }
    }

    /** True if decoded; false if rejected with a reason; any other exception fails the test. */
    private static boolean decodesOrRejects(byte[] value) {
        try {
            RawImage image = ImageDecoder.decodeEncoded(value);
            assertThat(image.width()).isPositive();
            return true;
        } catch (ImageRejectedException e) {
            assertThat(e.reason()).isNotNull();
            assertThat(e.getMessage()).isNotBlank();
            return false;
        }
    }
}
