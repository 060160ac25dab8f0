package dev.osprey.core.image;

import java.util.Locale;

/**
 * Why an image value was refused. The {@link #id()} is written into dead-letter headers and
 * metric tags, so it is stable and bounded: rename a constant only together with its id.
 */
public enum RejectReason {
    /** A null or zero-length value. */
    EMPTY,
    /**
     * Larger than {@link dev.osprey.core.topic.OspreyTopics#IMAGE_MAX_BYTES}, or declaring more
     * pixels than the budget ({@link ImageDecoder#DEFAULT_MAX_PIXELS}).
     */
    TOO_LARGE,
    /** Neither a known image format nor raw pixels of a known size. */
    NOT_AN_IMAGE,
    /** Looks like PNG/JPEG/BMP but cannot be decoded (truncated, damaged). */
    CORRUPT_IMAGE,
    /** Headers missing, unparsable or contradicting each other. */
    BAD_HEADERS,
    /** Dimensions out of range, inconsistent with the byte count, or not resizable to the model input. */
    BAD_DIMENSIONS,
    /** A channel count other than 1 (gray) or 3 (RGB) that cannot be converted. */
    UNSUPPORTED_CHANNELS,
    /** A key too long to serve as an image id (see {@link dev.osprey.core.topic.OspreyTopics#IMAGE_ID_MAX_BYTES}). */
    BAD_KEY,
    /** The model's forward pass failed on this image, also when it ran alone. */
    INFERENCE_FAILED,
    /** The model returned non-finite scores (NaN or infinite) for this image. */
    MODEL_OUTPUT_INVALID;

    private final String id = name().toLowerCase(Locale.ROOT).replace('_', '-');

    /** Stable lower-kebab identifier, e.g. {@code corrupt-image}. */
    public String id() {
        return id;
    }
}
