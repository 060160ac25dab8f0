package dev.osprey.ingest.source;

import dev.osprey.core.image.ImageHeaders;
import java.util.Optional;

/**
 * The content type an encoded image's first bytes announce. Ingest writes it into the
 * {@code content-type} header, so consumers need not sniff; only a decode proves the bytes are a
 * whole image.
 */
public final class ImageSignature {

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private ImageSignature() {
    }

    /** {@code image/png}, {@code image/jpeg} or {@code image/bmp} by signature, or empty. */
    public static Optional<String> contentType(byte[] bytes) {
        if (startsWith(bytes, PNG)) {
            return Optional.of(ImageHeaders.PNG);
        }
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8 && (bytes[2] & 0xFF) == 0xFF) {
            return Optional.of(ImageHeaders.JPEG);
        }
        if (bytes.length >= 2 && bytes[0] == 'B' && bytes[1] == 'M') {
            return Optional.of(ImageHeaders.BMP);
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
