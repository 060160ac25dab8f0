package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.topic.OspreyTopics;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Hashtable;
import javax.imageio.ImageIO;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static Headers headers(String... keyValues) {
        Headers h = new RecordHeaders();
        for (int i = 0; i < keyValues.length; i += 2) {
            h.add(keyValues[i], keyValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    private static Headers raw(int w, int h, int c) {
        return headers(ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW, ImageHeaders.WIDTH, "" + w,
                ImageHeaders.HEIGHT, "" + h, ImageHeaders.CHANNELS, "" + c);
    }

    private static void assertRejected(ThrowingCallable call, RejectReason reason, String... messageParts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ImageRejectedException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).isNotBlank();
            if (messageParts.length > 0) {
                assertThat(e.getMessage()).contains(messageParts);
            }
        });
    }

    private static byte[] write(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }

    @Nested
    class Raw {

        @Test
        void rawWithHeadersSharesTheValueArray() throws Exception {
            RawImage src = TestImages.pattern(5, 4, 3);
            byte[] value = src.pixels();
            RawImage image = ImageDecoder.decode(value, raw(5, 4, 3));
            assertThat(image).isEqualTo(src);
            // The hot path must not copy: the image is a view of the record value.
            assertThat(image.pixels()).isSameAs(value);
        }

        @Test
        void contentTypeIsCaseInsensitiveAndMayHaveParameters() throws Exception {
            Headers h = raw(2, 2, 1);
            ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, "Application/X-Osprey-Raw; v=1");
            assertThat(ImageDecoder.decode(new byte[4], h).width()).isEqualTo(2);
        }

        @Test
        void sniffs784BytesAsMnistAnd3072AsCifar() throws Exception {
            assertThat(ImageDecoder.decode(new byte[784], null)).isEqualTo(new RawImage(28, 28, 1, new byte[784]));
            assertThat(ImageDecoder.decode(new byte[3072], new RecordHeaders()))
                    .isEqualTo(new RawImage(32, 32, 3, new byte[3072]));
        }

        @Test
        void rawPixelsThatHappenToStartWithASignatureAreStillRaw() throws Exception {
            byte[] bm = new byte[784];
            bm[0] = 'B';
            bm[1] = 'M';
            assertThat(ImageDecoder.decode(bm, null).width()).isEqualTo(28);
            byte[] jpegLike = new byte[3072];
            jpegLike[0] = (byte) 0xFF;
            jpegLike[1] = (byte) 0xD8;
            jpegLike[2] = (byte) 0xFF;
            assertThat(ImageDecoder.decode(jpegLike, null)).isEqualTo(new RawImage(32, 32, 3, jpegLike));
        }

        @Test
        void sizeHeadersWithoutContentTypeMeanRaw() throws Exception {
            Headers h = headers(ImageHeaders.WIDTH, "10", ImageHeaders.HEIGHT, "5", ImageHeaders.CHANNELS, "1");
            assertThat(ImageDecoder.decode(new byte[50], h).height()).isEqualTo(5);
        }

        @Test
        void missingHeadersAreNamed() {
            Headers h = headers(ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW, ImageHeaders.WIDTH, "28");
            assertRejected(() -> ImageDecoder.decode(new byte[784], h), RejectReason.BAD_HEADERS,
                    "missing: height, channels");
        }

        @Test
        void nonNumericHeaderIsBadHeaders() {
            Headers h = raw(28, 28, 1);
            ImageHeaders.put(h, ImageHeaders.WIDTH, "twenty-eight");
            assertRejected(() -> ImageDecoder.decode(new byte[784], h), RejectReason.BAD_HEADERS,
                    "width", "twenty-eight");
            ImageHeaders.put(h, ImageHeaders.WIDTH, "-28");
            assertRejected(() -> ImageDecoder.decode(new byte[784], h), RejectReason.BAD_HEADERS, "-28");
            ImageHeaders.put(h, ImageHeaders.WIDTH, "99999999999");
            assertRejected(() -> ImageDecoder.decode(new byte[784], h), RejectReason.BAD_HEADERS);
        }

        @Test
        void byteCountMustMatchTheHeaders() {
            assertRejected(() -> ImageDecoder.decode(new byte[700], raw(28, 28, 1)), RejectReason.BAD_DIMENSIONS,
                    "28x28x1", "784", "700");
        }

        @Test
        void zeroOrHugeDimensionsAreBadDimensions() {
            assertRejected(() -> ImageDecoder.decode(new byte[1], raw(0, 28, 1)), RejectReason.BAD_DIMENSIONS,
                    "0x28");
            assertRejected(() -> ImageDecoder.decode(new byte[5000], raw(5000, 1, 1)),
                    RejectReason.BAD_DIMENSIONS, "5000x1", "4096");
        }

        @Test
        void onlyOneOrThreeChannels() {
            assertRejected(() -> ImageDecoder.decode(new byte[16], raw(2, 2, 4)),
                    RejectReason.UNSUPPORTED_CHANNELS, "4");
        }
    }

    @Nested
    class Rejections {

        @Test
        void nullAndEmptyAreEmpty() {
            assertRejected(() -> ImageDecoder.decode(null, null), RejectReason.EMPTY);
            assertRejected(() -> ImageDecoder.decode(new byte[0], raw(1, 1, 1)), RejectReason.EMPTY);
        }

        @Test
        void overTheTopicLimitIsTooLarge() {
            byte[] big = new byte[OspreyTopics.IMAGE_MAX_BYTES + 1];
            assertRejected(() -> ImageDecoder.decode(big, null), RejectReason.TOO_LARGE,
                    String.valueOf(OspreyTopics.IMAGE_MAX_BYTES + 1));
        }

        @Test
        void unknownBytesAreNotAnImage() {
            byte[] text = "hello, this is not an image".getBytes(StandardCharsets.UTF_8);
            assertRejected(() -> ImageDecoder.decode(text, null), RejectReason.NOT_AN_IMAGE, "784", "3072");
        }

        @Test
        void unsupportedContentTypeIsNotAnImage() {
            assertRejected(() -> ImageDecoder.decode(new byte[784], headers(ImageHeaders.CONTENT_TYPE, "text/plain")),
                    RejectReason.NOT_AN_IMAGE, "text/plain");
        }

        @Test
        void declaredPngWithoutSignatureIsNotAnImage() {
            Headers h = headers(ImageHeaders.CONTENT_TYPE, ImageHeaders.PNG);
            assertRejected(() -> ImageDecoder.decode(new byte[784], h), RejectReason.NOT_AN_IMAGE, "image/png");
        }

        @Test
        void mislabelledFormatIsDecodedByItsSignature() throws Exception {
            RawImage image = TestImages.pattern(6, 6, 3);
            Headers h = headers(ImageHeaders.CONTENT_TYPE, ImageHeaders.JPEG);
            assertThat(ImageDecoder.decode(ImageEncoder.png(image), h)).isEqualTo(image);
        }

        @Test
        void truncatedPngIsCorrupt() {
            byte[] png = ImageEncoder.png(TestImages.random(40, 40, 3, 1));
            byte[] cut = Arrays.copyOf(png, png.length / 2);
            assertRejected(() -> ImageDecoder.decode(cut, null), RejectReason.CORRUPT_IMAGE, "PNG");
            assertRejected(() -> ImageDecoder.decodeEncoded(Arrays.copyOf(png, 12)), RejectReason.CORRUPT_IMAGE);
        }

        @Test
        void truncatedJpegIsCorrupt() {
            byte[] jpeg = ImageEncoder.jpeg(TestImages.random(64, 64, 3, 2));
            byte[] cut = Arrays.copyOf(jpeg, jpeg.length * 2 / 3);
            assertRejected(() -> ImageDecoder.decode(cut, headers(ImageHeaders.CONTENT_TYPE, ImageHeaders.JPEG)),
                    RejectReason.CORRUPT_IMAGE, "JPEG");
        }

        @Test
        void truncatedBmpIsCorrupt() {
            byte[] bmp = ImageEncoder.bmp(TestImages.random(40, 40, 3, 3));
            byte[] cut = Arrays.copyOf(bmp, bmp.length / 2);
            assertRejected(() -> ImageDecoder.decode(cut, null), RejectReason.CORRUPT_IMAGE, "BMP");
        }

        @Test
        void decodedImageOverTheDimensionLimitIsRejectedFromItsHeader() {
            byte[] png = ImageEncoder.png(new RawImage(4097, 1, 1, new byte[4097]));
            assertRejected(() -> ImageDecoder.decode(png, null), RejectReason.BAD_DIMENSIONS, "4097x1", "4096");
        }

        @Test
        void reasonIdsAreStableKebabCase() {
            assertThat(Arrays.stream(RejectReason.values()).map(RejectReason::id)).containsExactly(
                    "empty", "too-large", "not-an-image", "corrupt-image", "bad-headers", "bad-dimensions",
                    "unsupported-channels", "bad-key", "inference-failed", "model-output-invalid");
        }
    }

    @Nested
    class ColourModels {

        @Test
        void grayPngStaysOneChannel() throws Exception {
            RawImage gray = TestImages.pattern(9, 7, 1);
            RawImage back = ImageDecoder.decode(ImageEncoder.png(gray), headers(ImageHeaders.CONTENT_TYPE, "image/png"));
            assertThat(back).isEqualTo(gray);
        }

        @Test
        void sixteenBitGrayIsScaledToEightBits() throws Exception {
            BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
            img.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 128 * 257, 65535});
            RawImage back = ImageDecoder.decode(write(img, "png"), null);
            assertThat(back).isEqualTo(new RawImage(3, 1, 1, new byte[] {0, (byte) 128, (byte) 255}));
        }

        @Test
        void argbIsCompositedOnBlack() throws Exception {
            BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
            img.setRGB(0, 0, 0xFF_C8_64_0A);
            img.setRGB(1, 0, 0x80_C8_64_00);
            RawImage back = ImageDecoder.decode(write(img, "png"), null);
            assertThat(back.channels()).isEqualTo(3);
            assertThat(new int[] {back.get(0, 0, 0), back.get(0, 0, 1), back.get(0, 0, 2)})
                    .containsExactly(200, 100, 10);
            assertThat(back.get(1, 0, 0)).isBetween(99, 101);
            assertThat(back.get(1, 0, 1)).isBetween(49, 51);
            assertThat(back.get(1, 0, 2)).isZero();
        }

        @Test
        void grayWithAlphaStaysGray() throws Exception {
            ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                    Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
            WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
            raster.setPixels(0, 0, 2, 1, new int[] {200, 255, 200, 0});
            BufferedImage img = new BufferedImage(cm, raster, false, new Hashtable<>());
            RawImage back = ImageDecoder.decode(write(img, "png"), null);
            assertThat(back).isEqualTo(new RawImage(2, 1, 1, new byte[] {(byte) 200, 0}));
        }

        @Test
        void paletteImagesGiveTheirColours() throws Exception {
            byte[] r = {(byte) 255, 0, 0, 7};
            byte[] g = {0, (byte) 255, 0, 7};
            byte[] b = {0, 0, (byte) 255, 7};
            BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED,
                    new IndexColorModel(8, 4, r, g, b));
            img.getRaster().setPixels(0, 0, 4, 1, new int[] {0, 1, 2, 3});
            RawImage back = ImageDecoder.decode(write(img, "png"), null);
            assertThat(back).isEqualTo(new RawImage(4, 1, 3,
                    new byte[] {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, 7, 7, 7}));
        }

        @Test
        void grayPaletteAndOneBitImagesBecomeGray() throws Exception {
            BufferedImage img = new BufferedImage(8, 1, BufferedImage.TYPE_BYTE_BINARY);
            img.getRaster().setPixels(0, 0, 8, 1, new int[] {0, 1, 0, 1, 1, 1, 0, 0});
            RawImage back = ImageDecoder.decode(write(img, "png"), null);
            assertThat(back.channels()).isEqualTo(1);
            assertThat(back.pixels()).containsExactly(0, -1, 0, -1, -1, -1, 0, 0);
        }

        @Test
        void bgrAndIntRgbKeepChannelOrder() throws Exception {
            for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_BGR,
                    BufferedImage.TYPE_3BYTE_BGR}) {
                BufferedImage img = new BufferedImage(1, 1, type);
                img.setRGB(0, 0, 0x0A_14_1E);
                RawImage back = ImageDecoder.decode(write(img, "bmp"), null);
                assertThat(back.pixels()).as("type %d", type).containsExactly(10, 20, 30);
            }
        }
    }
}
