package dev.osprey.core.image;

import java.util.Objects;

/**
 * An image value that cannot be turned into model input. The message is the human reason
 * (it goes into the dead-letter record); {@link #reason()} is the machine-readable one.
 */
public final class ImageRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    public ImageRejectedException(RejectReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public ImageRejectedException(RejectReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public RejectReason reason() {
        return reason;
    }
}
