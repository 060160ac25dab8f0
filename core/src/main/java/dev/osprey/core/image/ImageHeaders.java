package dev.osprey.core.image;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** Names and helpers for the headers of records on {@code images} and {@code feedback}. */
public final class ImageHeaders {

    public static final String CONTENT_TYPE = "content-type";
    public static final String WIDTH = "width";
    public static final String HEIGHT = "height";
    public static final String CHANNELS = "channels";
    /** Ground-truth class index (decimal), when the producer knows it. */
    public static final String LABEL = "label";
    /** Where the image came from, e.g. {@code fashion-mnist/test#123}. */
    public static final String SOURCE = "source";

    public static final String RAW = "application/x-osprey-raw";
    public static final String PNG = "image/png";
    public static final String JPEG = "image/jpeg";
    public static final String BMP = "image/bmp";

    private ImageHeaders() {
    }

    /** The last value of header {@code key} as UTF-8, if present. */
    public static Optional<String> text(Headers headers, String key) {
        if (headers == null) {
            return Optional.empty();
        }
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null
                ? Optional.empty()
                : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
    }

    public static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds the headers that describe raw pixels of {@code image}. */
    public static void describeRaw(Headers headers, RawImage image) {
        put(headers, CONTENT_TYPE, RAW);
        put(headers, WIDTH, Integer.toString(image.width()));
        put(headers, HEIGHT, Integer.toString(image.height()));
        put(headers, CHANNELS, Integer.toString(image.channels()));
    }

    /** The ground-truth label header, if present and a non-negative integer. */
    public static Optional<Integer> label(Headers headers) {
        int label = labelIndex(headers);
        return label >= 0 ? Optional.of(label) : Optional.empty();
    }

    /**
     * The ground-truth label header as a class index, or -1 when it is absent or not a non-negative
     * decimal integer below 2^31 (surrounding spaces allowed). Read from the bytes: it runs for every
     * image the classifier takes, and allocates nothing.
     */
    public static int labelIndex(Headers headers) {
        if (headers == null) {
            return -1;
        }
        Header h = headers.lastHeader(LABEL);
        byte[] v = h == null ? null : h.value();
        if (v == null) {
            return -1;
        }
        int from = 0;
        int to = v.length;
        while (from < to && isSpace(v[from])) {
            from++;
        }
        while (to > from && isSpace(v[to - 1])) {
            to--;
        }
        if (from < to && v[from] == '+') {
            from++;
        }
        if (from == to) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = v[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
            if (value > Integer.MAX_VALUE) {
                return -1;
            }
        }
        return (int) value;
    }

    /** What {@link String#trim} removes: ASCII control characters and the space. */
    private static boolean isSpace(byte b) {
        return b >= 0 && b <= ' ';
    }
}
