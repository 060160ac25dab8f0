package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.model.Normalization;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * An encoded image costs what its header declares: huge declared sizes are refused from the
 * header, large allowed ones are decoded subsampled. Asserted on what was decoded, never timed.
 */
class ImageDecoderBudgetTest {

    private static final long MIB = 1024 * 1024;

    /** Bytes this thread allocated so far, or -1 where the JVM does not count them. */
    private static long allocated() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    /** Fails when {@code call} allocated more than {@code limit} bytes (when they can be counted). */
    private static void assertAllocatesAtMost(long limit, ThrowingCallable call) throws Throwable {
        long before = allocated();
        try {
            call.call();
        } catch (ImageRejectedException e) {
            // Refusals are measured too; what they are is asserted separately.
        }
        long after = allocated();
        if (before >= 0) {
            assertThat(after - before).as("bytes allocated").isLessThanOrEqualTo(limit);
        }
    }

    private static byte[] write(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }

    private static BufferedImage solid(int width, int height, int type, Color colour) {
        BufferedImage image = new BufferedImage(width, height, type);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    /** A small real PNG whose IHDR is rewritten to declare another size, with its CRC fixed. */
    private static byte[] pngDeclaring(int width, int height) {
        byte[] png = ImageEncoder.png(TestImages.pattern(8, 8, 1));
        ByteBuffer buf = ByteBuffer.wrap(png);
        buf.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 4 + 13);
        buf.putInt(29, (int) crc.getValue());
        return png;
    }

    /** A small real JPEG whose SOF0 frame header is rewritten to declare another size. */
    private static byte[] jpegDeclaring(int width, int height) {
        byte[] jpeg = ImageEncoder.jpeg(TestImages.pattern(16, 16, 3));
        int sof = indexOfMarker(jpeg, 0xC0);
        ByteBuffer.wrap(jpeg).putShort(sof + 5, (short) height).putShort(sof + 7, (short) width);
        return jpeg;
    }

    private static int indexOfMarker(byte[] jpeg, int marker) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == marker) {
                return i;
            }
        }
        throw new AssertionError("no marker " + Integer.toHexString(marker));
    }

    private static void assertRejected(ThrowingCallable call, RejectReason reason, String... messageParts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ImageRejectedException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(messageParts);
        });
    }

    @Test
    void solidColour4096PngIsDecodedSubsampledWithinTheDecodeBudget() throws Throwable {
        byte[] png = write(solid(4096, 4096, BufferedImage.TYPE_INT_RGB, new Color(10, 20, 30)), "png");
        RawImage image = ImageDecoder.decode(png, null);
        // Fully decoded, the pixels alone would be 64 MiB (int RGB) plus 48 MiB (bytes).
        assertAllocatesAtMost(24 * MIB, () -> ImageDecoder.decode(png, null));
        assertThat(image.width()).isEqualTo(1024);
        assertThat(image.height()).isEqualTo(1024);
        assertThat((long) image.width() * image.height()).isLessThanOrEqualTo(ImageDecoder.MAX_DECODED_PIXELS);
        assertThat(new int[] {image.get(500, 700, 0), image.get(500, 700, 1), image.get(500, 700, 2)})
                .containsExactly(10, 20, 30);
    }

    @Test
    void solidColour4096PngOverASmallerBudgetIsTooLarge() throws Throwable {
        byte[] png = write(solid(4096, 4096, BufferedImage.TYPE_BYTE_GRAY, Color.WHITE), "png");
        assertRejected(() -> ImageDecoder.decode(png, null, 2048L * 2048), RejectReason.TOO_LARGE,
                "4096x4096", String.valueOf(2048L * 2048));
        assertAllocatesAtMost(MIB, () -> ImageDecoder.decode(png, null, 2048L * 2048));
    }

    @Test
    void pngDeclaringAHugeSizeIsRefusedFromItsHeader() {
        byte[] png = pngDeclaring(100_000, 100_000);
        assertRejected(() -> ImageDecoder.decode(png, null), RejectReason.BAD_DIMENSIONS, "100000x100000");
        assertRejected(() -> ImageDecoder.decodeEncoded(png), RejectReason.BAD_DIMENSIONS, "100000x100000");
    }

    @Test
    void pngWithinTheDimensionLimitButOverTheBudgetIsTooLarge() {
        byte[] png = pngDeclaring(4000, 4000);
        assertRejected(() -> ImageDecoder.decode(png, null, 1000L * 1000), RejectReason.TOO_LARGE, "4000x4000");
    }

    @Test
    void pngDeclaringZeroOrNegativeSizeIsBadDimensions() {
        assertRejected(() -> ImageDecoder.decode(pngDeclaring(0, 8), null), RejectReason.BAD_DIMENSIONS, "0x8");
        assertRejected(() -> ImageDecoder.decode(pngDeclaring(8, 0), null), RejectReason.BAD_DIMENSIONS, "8x0");
        assertRejected(() -> ImageDecoder.decode(pngDeclaring(-1, 8), null), RejectReason.BAD_DIMENSIONS, "-1x8");
    }

    @Test
    void jpegDeclaringAHugeSizeIsRefusedFromItsHeader() throws Throwable {
        byte[] jpeg = jpegDeclaring(60_000, 50_000);
        assertRejected(() -> ImageDecoder.decode(jpeg, null), RejectReason.BAD_DIMENSIONS, "60000x50000");
        assertAllocatesAtMost(MIB, () -> ImageDecoder.decode(jpeg, null));
    }

    @Test
    void jpegDeclaringZeroSizeIsRejected() {
        byte[] jpeg = jpegDeclaring(0, 0);
        assertThatThrownBy(() -> ImageDecoder.decode(jpeg, null)).isInstanceOfSatisfying(
                ImageRejectedException.class, e -> assertThat(e.reason())
                        .isIn(RejectReason.BAD_DIMENSIONS, RejectReason.CORRUPT_IMAGE));
    }

    @Test
    void image2000IsSubsampledToAResizableImage() throws Exception {
        RawImage colour = TestImages.pattern(2000, 2000, 3);
        // A 2000x2000 RGB BMP would be over the 8 MiB value limit; a gray one is not.
        RawImage gray = TestImages.pattern(2000, 2000, 1);
        for (byte[] encoded : new byte[][] {ImageEncoder.png(colour), ImageEncoder.jpeg(colour),
                ImageEncoder.bmp(gray)}) {
            RawImage image = ImageDecoder.decode(encoded, null);
            assertThat(image.width()).isEqualTo(1000);
            assertThat(image.height()).isEqualTo(1000);
            float[] input = ModelInput.toArray(image, new InputSpec(3, 32, 32), Normalization.unit(3));
            assertThat(input).hasSize(3 * 32 * 32);
        }
    }

    @Test
    void subsampledPngKeepsEveryOtherPixel() throws Exception {
        RawImage source = TestImages.pattern(2000, 1200, 1);
        RawImage image = ImageDecoder.decode(ImageEncoder.png(source), null);
        assertThat(image.width()).isEqualTo(1000);
        assertThat(image.height()).isEqualTo(600);
        assertThat(image.get(17, 33, 0)).isEqualTo(source.get(34, 66, 0));
    }

    @Test
    void subsamplingStepIsTheSmallestThatFits() {
        assertThat(ImageDecoder.subsamplingStep(1024, 1024)).isEqualTo(1);
        assertThat(ImageDecoder.subsamplingStep(1025, 1024)).isEqualTo(2);
        assertThat(ImageDecoder.subsamplingStep(4096, 4096)).isEqualTo(4);
        assertThat(ImageDecoder.subsamplingStep(4096, 1)).isEqualTo(1);
    }
}
