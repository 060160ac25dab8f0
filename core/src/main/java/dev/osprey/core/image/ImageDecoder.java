package dev.osprey.core.image;

import dev.osprey.core.topic.OspreyTopics;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Turns the value of an {@code images} record into a {@link RawImage}, or says precisely why not.
 *
 * <p>The {@code content-type} header decides the format; without it the bytes are sniffed (PNG,
 * JPEG and BMP signatures; otherwise 784 bytes are 28x28 gray and 3072 bytes 32x32 RGB raw
 * pixels). Encoded images of any colour model become 8-bit gray or RGB; alpha is composited on
 * black. Nothing but {@link ImageRejectedException} leaves this class for a bad value.
 *
 * <p>An encoded image costs what its header declares, not what its bytes weigh (a 59 KB PNG can
 * declare 4096x4096): the declared size is read from the header before any pixel is decoded, an
 * image over the pixel budget ({@link #DEFAULT_MAX_PIXELS}) is refused as {@code too-large}, and
 * one over {@link #MAX_DECODED_PIXELS} is decoded subsampled, since the model input is tiny.
 *
 * <p>Raw pixels are the hot path (tens of thousands of records per second): the returned image
 * <em>shares</em> the value array instead of copying it, and the headers are parsed without
 * building strings. Callers must not modify the value afterwards.
 */
public final class ImageDecoder {

    /** Largest width or height accepted, decoded or raw. */
    public static final int MAX_DIMENSION = 4096;
    /** Most pixels (width times height, as declared in the header) an encoded image may have. */
    public static final long DEFAULT_MAX_PIXELS = (long) MAX_DIMENSION * MAX_DIMENSION;
    /**
     * Most pixels an encoded image is decoded to; a larger one is read with every n-th pixel of
     * every n-th row. Far above any model input (28x28, 32x32), which is resized to anyway.
     */
    public static final int MAX_DECODED_PIXELS = 1024 * 1024;
    /** A raw 28x28 gray image (MNIST, Fashion-MNIST) sent without headers. */
    public static final int MNIST_RAW_BYTES = 28 * 28;
    /** A raw 32x32 RGB image (CIFAR-10, HWC order) sent without headers. */
    public static final int CIFAR_RAW_BYTES = 32 * 32 * 3;

    private static final byte[] RAW_TYPE = ImageHeaders.RAW.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int BMP_HEADER_BYTES = 26;
    /** Signature, IHDR length and type, width, height: the PNG header is at a fixed place. */
    private static final int PNG_IHDR_END = 24;
    private static final byte[] IHDR = {'I', 'H', 'D', 'R'};

    private ImageDecoder() {
    }

    /** The encoded formats understood; {@code ioName} is the ImageIO format name. */
    enum Format {
        PNG("png"), JPEG("jpeg"), BMP("bmp");

        final String ioName;

        Format(String ioName) {
            this.ioName = ioName;
        }
    }

    /**
     * Decodes one record value.
     *
     * @param value   the record value
     * @param headers the record headers, or {@code null} when there are none
     * @return the image; for raw pixels it shares {@code value}
     * @throws ImageRejectedException with the reason the value cannot be used
     */
    public static RawImage decode(byte[] value, Headers headers) throws ImageRejectedException {
        return decode(value, headers, DEFAULT_MAX_PIXELS);
    }

    /**
     * Decodes one record value with a pixel budget for encoded images other than the default.
     * Raw pixels are bounded by {@link #MAX_DIMENSION} and the value size alone.
     *
     * @param value     the record value
     * @param headers   the record headers, or {@code null} when there are none
     * @param maxPixels most pixels (width times height) an encoded image may declare
     * @return the image; for raw pixels it shares {@code value}
     * @throws ImageRejectedException with the reason the value cannot be used
     */
    public static RawImage decode(byte[] value, Headers headers, long maxPixels) throws ImageRejectedException {
        checkSize(value);
        Header type = headers == null ? null : headers.lastHeader(ImageHeaders.CONTENT_TYPE);
        if (type == null || type.value() == null || type.value().length == 0) {
            return decodeSniffed(value, headers, maxPixels);
        }
        if (Arrays.equals(type.value(), RAW_TYPE)) {
            return decodeRaw(value, headers);
        }
        String mime = mediaType(type.value());
        return switch (mime) {
            case ImageHeaders.RAW -> decodeRaw(value, headers);
            case ImageHeaders.PNG, "image/x-png", ImageHeaders.JPEG, "image/jpg", "image/pjpeg",
                    ImageHeaders.BMP, "image/x-bmp", "image/x-ms-bmp" -> decodeDeclared(value, mime, maxPixels);
            default -> throw new ImageRejectedException(RejectReason.NOT_AN_IMAGE, "unsupported content-type '"
                    + mime + "': expected image/png, image/jpeg, image/bmp or " + ImageHeaders.RAW);
        };
    }

    /**
     * Decodes an encoded image (PNG, JPEG or BMP, recognised by its signature), never raw pixels:
     * for files, where a 784-byte file is not a raw image.
     */
    public static RawImage decodeEncoded(byte[] value) throws ImageRejectedException {
        return decodeEncoded(value, DEFAULT_MAX_PIXELS);
    }

    /**
     * As {@link #decodeEncoded(byte[])}, refusing an image that declares more than
     * {@code maxPixels} pixels ({@code too-large}) before it is decoded.
     */
    public static RawImage decodeEncoded(byte[] value, long maxPixels) throws ImageRejectedException {
        checkSize(value);
        Format format = sniff(value);
        if (format == null) {
            throw new ImageRejectedException(RejectReason.NOT_AN_IMAGE,
                    "not a PNG, JPEG or BMP image (" + value.length + " bytes starting " + hexPrefix(value) + ")");
        }
        return decodeWithImageIo(value, format, maxPixels);
    }

    /** Whether {@code head} (the first bytes of a value or file) starts like a PNG, JPEG or BMP image. */
    public static boolean looksEncoded(byte[] head) {
        return sniff(head) != null;
    }

    private static void checkSize(byte[] value) throws ImageRejectedException {
        if (value == null || value.length == 0) {
            throw new ImageRejectedException(RejectReason.EMPTY, "empty value: no image bytes");
        }
        if (value.length > OspreyTopics.IMAGE_MAX_BYTES) {
            throw new ImageRejectedException(RejectReason.TOO_LARGE, "image of " + value.length
                    + " bytes is larger than the limit of " + OspreyTopics.IMAGE_MAX_BYTES + " bytes");
        }
    }

    private static RawImage decodeDeclared(byte[] value, String mime, long maxPixels)
            throws ImageRejectedException {
        // A producer that mislabels a JPEG as PNG still sent an image: decode what the bytes are.
        Format format = sniff(value);
        if (format == null) {
            throw new ImageRejectedException(RejectReason.NOT_AN_IMAGE, "content-type is " + mime
                    + " but the " + value.length + " bytes have no PNG, JPEG or BMP signature (start "
                    + hexPrefix(value) + ")");
        }
        return decodeWithImageIo(value, format, maxPixels);
    }

    private static RawImage decodeSniffed(byte[] value, Headers headers, long maxPixels)
            throws ImageRejectedException {
        Format format = sniff(value);
        if (format != null) {
            try {
                return decodeWithImageIo(value, format, maxPixels);
            } catch (ImageRejectedException e) {
                // Three (JPEG) or two (BMP) signature bytes also occur by chance at the start of raw
                // pixels; a value of exactly a raw size that fails to decode is taken as raw.
                if (format == Format.PNG || defaultRawShape(value.length) == null || hasRawHeaders(headers)) {
                    throw e;
                }
            }
        }
        if (hasRawHeaders(headers)) {
            return decodeRaw(value, headers);
        }
        int[] shape = defaultRawShape(value.length);
        if (shape == null) {
            throw new ImageRejectedException(RejectReason.NOT_AN_IMAGE, value.length
                    + " bytes without content-type: not a PNG, JPEG or BMP image (start " + hexPrefix(value)
                    + "), and not " + MNIST_RAW_BYTES + " (28x28 gray) or " + CIFAR_RAW_BYTES
                    + " (32x32 RGB) raw bytes");
        }
        return new RawImage(shape[0], shape[1], shape[2], value);
    }

    private static int[] defaultRawShape(int length) {
        if (length == MNIST_RAW_BYTES) {
            return new int[] {28, 28, 1};
        }
        if (length == CIFAR_RAW_BYTES) {
            return new int[] {32, 32, 3};
        }
        return null;
    }

    private static boolean hasRawHeaders(Headers headers) {
        return headers != null && (headers.lastHeader(ImageHeaders.WIDTH) != null
                || headers.lastHeader(ImageHeaders.HEIGHT) != null
                || headers.lastHeader(ImageHeaders.CHANNELS) != null);
    }

    private static RawImage decodeRaw(byte[] value, Headers headers) throws ImageRejectedException {
        byte[] w = headerValue(headers, ImageHeaders.WIDTH);
        byte[] h = headerValue(headers, ImageHeaders.HEIGHT);
        byte[] c = headerValue(headers, ImageHeaders.CHANNELS);
        if (w == null || h == null || c == null) {
            throw new ImageRejectedException(RejectReason.BAD_HEADERS, "raw pixels need the headers width, "
                    + "height and channels; missing: " + missing(w, h, c));
        }
        int width = parseCount(w, ImageHeaders.WIDTH);
        int height = parseCount(h, ImageHeaders.HEIGHT);
        int channels = parseCount(c, ImageHeaders.CHANNELS);
        if (channels != 1 && channels != 3) {
            throw new ImageRejectedException(RejectReason.UNSUPPORTED_CHANNELS,
                    "raw pixels must have 1 (gray) or 3 (RGB) channels, not " + channels);
        }
        checkDimensions(width, height, "raw image");
        long expected = (long) width * height * channels;
        if (expected != value.length) {
            throw new ImageRejectedException(RejectReason.BAD_DIMENSIONS, "raw image " + width + "x" + height
                    + "x" + channels + " needs " + expected + " bytes, the value has " + value.length);
        }
        return new RawImage(width, height, channels, value);
    }

    private static byte[] headerValue(Headers headers, String key) {
        Header h = headers == null ? null : headers.lastHeader(key);
        return h == null ? null : h.value();
    }

    private static String missing(byte[] w, byte[] h, byte[] c) {
        List<String> names = new ArrayList<>(3);
        if (w == null) {
            names.add(ImageHeaders.WIDTH);
        }
        if (h == null) {
            names.add(ImageHeaders.HEIGHT);
        }
        if (c == null) {
            names.add(ImageHeaders.CHANNELS);
        }
        return String.join(", ", names);
    }

    /** Parses ASCII decimal digits without building a String: this runs for every raw record. */
    private static int parseCount(byte[] text, String name) throws ImageRejectedException {
        int start = 0;
        int end = text.length;
        while (start < end && text[start] == ' ') {
            start++;
        }
        while (end > start && text[end - 1] == ' ') {
            end--;
        }
        if (end == start || end - start > 9) {
            throw badNumber(text, name);
        }
        int v = 0;
        for (int i = start; i < end; i++) {
            int d = text[i] - '0';
            if (d < 0 || d > 9) {
                throw badNumber(text, name);
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static ImageRejectedException badNumber(byte[] text, String name) {
        return new ImageRejectedException(RejectReason.BAD_HEADERS, "header " + name
                + " is not a non-negative integer: '" + new String(text, StandardCharsets.UTF_8) + "'");
    }

    private static void checkDimensions(int width, int height, String what) throws ImageRejectedException {
        if (width <= 0 || height <= 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
            throw new ImageRejectedException(RejectReason.BAD_DIMENSIONS, what + " is " + width + "x" + height
                    + "; width and height must be between 1 and " + MAX_DIMENSION);
        }
    }

    /** The media type without parameters, lower case: {@code "Image/PNG; q=1"} is {@code image/png}. */
    private static String mediaType(byte[] header) {
        String s = new String(header, StandardCharsets.UTF_8);
        int semi = s.indexOf(';');
        if (semi >= 0) {
            s = s.substring(0, semi);
        }
        return s.trim().toLowerCase(Locale.ROOT);
    }

    /** The encoded format the signature says, or {@code null} when none matches. */
    static Format sniff(byte[] v) {
        if (startsWith(v, PNG_MAGIC)) {
            return Format.PNG;
        }
        if (v.length >= 3 && (v[0] & 0xFF) == 0xFF && (v[1] & 0xFF) == 0xD8 && (v[2] & 0xFF) == 0xFF) {
            return Format.JPEG;
        }
        if (v.length >= BMP_HEADER_BYTES && v[0] == 'B' && v[1] == 'M' && plausibleBmpInfoHeader(v)) {
            return Format.BMP;
        }
        return null;
    }

    /** "BM" alone is too weak a signature; the DIB header size has only a few legal values. */
    private static boolean plausibleBmpInfoHeader(byte[] v) {
        int dibSize = (v[14] & 0xFF) | (v[15] & 0xFF) << 8 | (v[16] & 0xFF) << 16 | (v[17] & 0xFF) << 24;
        return dibSize == 12 || dibSize == 16 || dibSize == 40 || dibSize == 52 || dibSize == 56
                || dibSize == 64 || dibSize == 108 || dibSize == 124;
    }

    private static boolean startsWith(byte[] v, byte[] prefix) {
        if (v.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (v[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String hexPrefix(byte[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, v.length); i++) {
            sb.append(String.format(Locale.ROOT, "%02x", v[i] & 0xFF));
        }
        return sb.toString();
    }

    private static RawImage decodeWithImageIo(byte[] value, Format format, long maxPixels)
            throws ImageRejectedException {
        if (format == Format.PNG) {
            checkPngHeader(value, maxPixels);
        }
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.ioName);
        if (!readers.hasNext()) {
            throw new IllegalStateException("this JVM has no ImageIO reader for " + format);
        }
        ImageReader reader = readers.next();
        AtomicReference<String> warning = new AtomicReference<>();
        reader.addIIOReadWarningListener((source, message) -> warning.compareAndSet(null, message));
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(value))) {
            reader.setInput(in, true, true);
            // The header alone gives the size: refuse huge images before allocating their pixels.
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            checkDimensions(width, height, format + " image");
            checkPixels(width, height, maxPixels, format + " image");
            BufferedImage image = reader.read(0, subsampled(reader, width, height));
            if (warning.get() != null) {
                // The JPEG reader fills a truncated image with gray and only warns.
                throw corrupt(format, warning.get(), null);
            }
            return PixelConversion.toRaw(image);
        } catch (ImageRejectedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO plugins throw IIOException, but also IndexOutOfBounds, NegativeArraySize and
            // IllegalArgument on malformed input: all of them mean the same to the sender.
            throw corrupt(format, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Refuses a PNG from the width and height in its IHDR, before a reader exists: ImageIO would
     * call a zero size corrupt, and this costs nothing. The CRC is not checked here; a damaged
     * header that passes is refused by the reader.
     */
    private static void checkPngHeader(byte[] value, long maxPixels) throws ImageRejectedException {
        if (value.length < PNG_IHDR_END || !Arrays.equals(value, 12, 16, IHDR, 0, IHDR.length)) {
            return;
        }
        int width = bigEndianInt(value, 16);
        int height = bigEndianInt(value, 20);
        checkDimensions(width, height, "PNG image");
        checkPixels(width, height, maxPixels, "PNG image");
    }

    private static int bigEndianInt(byte[] v, int at) {
        return (v[at] & 0xFF) << 24 | (v[at + 1] & 0xFF) << 16 | (v[at + 2] & 0xFF) << 8 | (v[at + 3] & 0xFF);
    }

    private static void checkPixels(int width, int height, long maxPixels, String what)
            throws ImageRejectedException {
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageRejectedException(RejectReason.TOO_LARGE, what + " is " + width + "x" + height
                    + " = " + pixels + " pixels, more than the budget of " + maxPixels);
        }
    }

    /** Read parameters that keep the decoded raster within {@link #MAX_DECODED_PIXELS}. */
    private static ImageReadParam subsampled(ImageReader reader, int width, int height) {
        ImageReadParam param = reader.getDefaultReadParam();
        int step = subsamplingStep(width, height);
        if (step > 1) {
            param.setSourceSubsampling(step, step, 0, 0);
        }
        return param;
    }

    /** The smallest step n for which every n-th pixel of every n-th row fits the decode budget. */
    static int subsamplingStep(int width, int height) {
        int step = 1;
        while (ceilDiv(width, step) * ceilDiv(height, step) > MAX_DECODED_PIXELS) {
            step++;
        }
        return step;
    }

    private static long ceilDiv(int n, int step) {
        return (n + (long) step - 1) / step;
    }

    private static ImageRejectedException corrupt(Format format, String detail, Throwable cause) {
        return new ImageRejectedException(RejectReason.CORRUPT_IMAGE,
                "corrupt " + format + " image: " + detail, cause);
    }

    /** Conversion of any BufferedImage to 8-bit gray or RGB. */
    static final class PixelConversion {

        private PixelConversion() {
        }

        static RawImage toRaw(BufferedImage image) {
            ColorModel cm = image.getColorModel();
            if (cm instanceof IndexColorModel icm) {
                return fromIndexed(image, icm);
            }
            ColorSpace cs = cm.getColorSpace();
            boolean gray = cs.getType() == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1;
            boolean srgb = cs.isCS_sRGB() && cm.getNumColorComponents() == 3;
            if (gray || srgb) {
                return fromSamples(image, cm, gray ? 1 : 3);
            }
            return fromRgb(image);
        }

        /**
         * Reads the stored samples directly: for gray this avoids {@code getRGB}, which would pass
         * linear gray through a gamma curve and change every value.
         */
        private static RawImage fromSamples(BufferedImage image, ColorModel cm, int channels) {
            int w = image.getWidth();
            int h = image.getHeight();
            Raster raster = image.getRaster();
            int bands = raster.getNumBands();
            boolean alpha = cm.hasAlpha() && !cm.isAlphaPremultiplied() && bands > channels;
            int[] max = new int[bands];
            for (int b = 0; b < bands; b++) {
                max[b] = (1 << raster.getSampleModel().getSampleSize(b)) - 1;
            }
            byte[] out = new byte[w * h * channels];
            int[] row = new int[w * bands];
            int o = 0;
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int p = x * bands;
                    for (int c = 0; c < channels; c++) {
                        long v = row[p + c];
                        long scale = max[c];
                        if (alpha) {
                            v *= row[p + channels];
                            scale *= max[channels];
                        }
                        out[o++] = (byte) ((v * 255 + scale / 2) / scale);
                    }
                }
            }
            return new RawImage(w, h, channels, out);
        }

        private static RawImage fromIndexed(BufferedImage image, IndexColorModel icm) {
            boolean gray = true;
            for (int i = 0; i < icm.getMapSize() && gray; i++) {
                gray = icm.getRed(i) == icm.getGreen(i) && icm.getGreen(i) == icm.getBlue(i);
            }
            return gray ? fromArgb(image, 1) : fromArgb(image, 3);
        }

        /** Any other colour space: let Java2D convert to sRGB. */
        private static RawImage fromRgb(BufferedImage image) {
            return fromArgb(image, 3);
        }

        private static RawImage fromArgb(BufferedImage image, int channels) {
            int w = image.getWidth();
            int h = image.getHeight();
            byte[] out = new byte[w * h * channels];
            int[] row = new int[w];
            int o = 0;
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x];
                    int a = argb >>> 24;
                    if (channels == 1) {
                        out[o++] = (byte) over(argb & 0xFF, a);
                    } else {
                        out[o++] = (byte) over((argb >> 16) & 0xFF, a);
                        out[o++] = (byte) over((argb >> 8) & 0xFF, a);
                        out[o++] = (byte) over(argb & 0xFF, a);
                    }
                }
            }
            return new RawImage(w, h, channels, out);
        }

        /** Composites a value with alpha {@code a} over black. */
        private static int over(int v, int a) {
            return a == 255 ? v : (v * a + 127) / 255;
        }
    }
}
