package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever the bytes, the decoder answers with an image or a reason, never another exception. */
class ImageDecoderFuzzTest {

    private static final byte[][] ENCODED = {
        ImageEncoder.png(TestImages.random(24, 20, 3, 7)),
        ImageEncoder.jpeg(TestImages.random(24, 20, 3, 8)),
        ImageEncoder.bmp(TestImages.random(24, 20, 1, 9)),
    };

    @Property(tries = 300)
    void everyPrefixOfAnImageDecodesOrIsRejected(@ForAll("prefixes") byte[] value) {
        assertDecodesOrRejects(value);
    }

    @Property(tries = 300)
    void corruptedBytesDecodeOrAreRejected(@ForAll("corruptions") byte[] value) {
        assertDecodesOrRejects(value);
    }

    private static void assertDecodesOrRejects(byte[] value) {
        try {
            RawImage image = ImageDecoder.decodeEncoded(value);
            assertThat(image.width()).isPositive();
        } catch (ImageRejectedException e) {
            assertThat(e.reason()).isNotNull();
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Provide
    Arbitrary<byte[]> prefixes() {
        return Arbitraries.integers().between(0, ENCODED.length - 1).flatMap(i ->
                Arbitraries.integers().between(1, ENCODED[i].length).map(n -> Arrays.copyOf(ENCODED[i], n)));
    }

    @Provide
    Arbitrary<byte[]> corruptions() {
        return Arbitraries.integers().between(0, ENCODED.length - 1).flatMap(i ->
                Arbitraries.integers().between(0, ENCODED[i].length - 1).list().ofMinSize(1).ofMaxSize(8)
                        .map(positions -> {
                            byte[] copy = ENCODED[i].clone();
                            for (int p : positions) {
                                copy[p] = (byte) (copy[p] ^ (0x5A + p));
                            }
                            return copy;
                        }));
    }
}
