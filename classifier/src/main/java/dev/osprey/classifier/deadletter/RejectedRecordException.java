package dev.osprey.classifier.deadletter;

import dev.osprey.core.image.RejectReason;

/**
 * Thrown from {@code process()} for a record that cannot be classified. Kafka Streams hands it to
 * {@link DeadLetterHandler}, which writes the record to the dead-letter topic in the same
 * transaction, and processing goes on with the next record.
 */
public final class RejectedRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    public RejectedRecordException(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }
}
