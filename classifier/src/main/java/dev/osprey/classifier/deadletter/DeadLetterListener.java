package dev.osprey.classifier.deadletter;

import dev.osprey.core.image.RejectReason;

/** Told about every dead letter, for metrics. */
@FunctionalInterface
public interface DeadLetterListener {

    DeadLetterListener NONE = reason -> { };

    void deadLettered(RejectReason reason);
}
