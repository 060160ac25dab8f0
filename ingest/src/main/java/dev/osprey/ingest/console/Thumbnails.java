package dev.osprey.ingest.console;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.ImageTransforms;
import dev.osprey.core.image.RawImage;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;

/**
 * The most recent images from {@code images}, each decoded as the classifier decodes it and kept
 * as a small PNG {@code data:} URL for the console's strip. Bounded both in count and in bytes;
 * the oldest go first. Thread-safe.
 */
final class Thumbnails {

    /** Thumbnails are at most this many pixels on a side: Fashion-MNIST's 28 is kept as it is. */
    static final int MAX_SIDE = 64;

    private final int maxCount;
    private final long maxBytes;
    private final Map<String, String> byId = new LinkedHashMap<>();
    private long bytes;

    Thumbnails(int maxCount, long maxBytes) {
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
    }

    /** Decodes and keeps {@code value}; a record that is no image is skipped (it becomes a dead letter). */
    void put(String id, byte[] value, Headers headers) {
        Optional<String> url = dataUrl(value, headers);
        if (url.isEmpty()) {
            return;
        }
        synchronized (this) {
            String old = byId.remove(id);
            if (old != null) {
                bytes -= old.length();
            }
            byId.put(id, url.get());
            bytes += url.get().length();
            Iterator<String> oldest = byId.values().iterator();
            while ((byId.size() > maxCount || bytes > maxBytes) && oldest.hasNext()) {
                bytes -= oldest.next().length();
                oldest.remove();
            }
        }
    }

    synchronized Optional<String> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int size() {
        return byId.size();
    }

    /** The image as a PNG data URL, shrunk to {@link #MAX_SIDE}; empty when it cannot be decoded. */
    static Optional<String> dataUrl(byte[] value, Headers headers) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            RawImage image = ImageDecoder.decode(value, headers);
            int side = Math.max(image.width(), image.height());
            if (side > MAX_SIDE) {
                int w = Math.max(1, image.width() * MAX_SIDE / side);
                int h = Math.max(1, image.height() * MAX_SIDE / side);
                image = ImageTransforms.resize(image, w, h);
            }
            return Optional.of("data:image/png;base64," + Base64.getEncoder().encodeToString(ImageEncoder.png(image)));
        } catch (ImageRejectedException | RuntimeException e) {
            // The classifier rejects it too and says why on images-dlq; the console shows it there.
            return Optional.empty();
        }
    }
}
