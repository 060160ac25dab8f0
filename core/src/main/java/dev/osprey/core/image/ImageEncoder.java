package dev.osprey.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Encodes a {@link RawImage} as PNG, JPEG or BMP with ImageIO, for producers and tests. Gray
 * images are written as 8-bit gray and RGB as 24-bit colour, so PNG and BMP decode back to the
 * same pixels with {@link ImageDecoder}; JPEG is lossy.
 */
public final class ImageEncoder {

    private ImageEncoder() {
    }

    public static byte[] png(RawImage image) {
        return encode(image, "png");
    }

    public static byte[] jpeg(RawImage image) {
        return encode(image, "jpeg");
    }

    public static byte[] bmp(RawImage image) {
        return encode(image, "bmp");
    }

    /** The image as a {@code TYPE_BYTE_GRAY} or {@code TYPE_3BYTE_BGR} BufferedImage. */
    public static BufferedImage toBufferedImage(RawImage image) {
        int w = image.width();
        int h = image.height();
        if (image.channels() == 1) {
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            out.getRaster().setDataElements(0, 0, w, h, image.pixels());
            return out;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        // Data elements of a TYPE_3BYTE_BGR raster are given in band order, which is R, G, B.
        out.getRaster().setDataElements(0, 0, w, h, image.pixels());
        return out;
    }

    private static byte[] encode(RawImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(image.pixels().length / 2 + 1024);
        try {
            if (!ImageIO.write(toBufferedImage(image), format, out)) {
                throw new IllegalStateException("this JVM has no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            // Only the in-memory stream is written to; an IOException here is a JVM fault.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
