package dev.osprey.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * The meters of ingest, registered on the registry the caller passes in. Batch runs and the HTTP
 * API share them: on one registry they count into the same counters.
 */
public final class IngestMetrics {

    private final Counter published;
    private final Counter feedback;
    private final Counter errors;

    public IngestMetrics(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        published = Counter.builder("osprey.ingest.images.published")
                .description("Images acknowledged by Kafka on the images topic").register(registry);
        feedback = Counter.builder("osprey.ingest.feedback.sent")
                .description("Labelled copies and corrections acknowledged by Kafka on the feedback topic")
                .register(registry);
        errors = Counter.builder("osprey.ingest.send.errors")
                .description("Records Kafka did not accept").register(registry);
    }

    /** Images acknowledged on {@code images}. */
    public Counter published() {
        return published;
    }

    /** Records acknowledged on {@code feedback}. */
    public Counter feedback() {
        return feedback;
    }

    /** Records Kafka refused or did not acknowledge. */
    public Counter errors() {
        return errors;
    }
}
