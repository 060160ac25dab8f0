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
        return text(headers, LABEL).flatMap(s -> {
            try {
                int v = Integer.parseInt(s.trim());
                return v >= 0 ? Optional.of(v) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }
}
