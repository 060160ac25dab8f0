package dev.osprey.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The meters of an ingest run, registered on the registry the caller passes in. */
final class IngestMetrics {

    final Counter published;
    final Counter feedback;
    final Counter errors;

    IngestMetrics(MeterRegistry registry) {
        published = Counter.builder("osprey.ingest.images.published")
                .description("Images acknowledged by Kafka on the images topic").register(registry);
        feedback = Counter.builder("osprey.ingest.feedback.sent")
                .description("Labelled copies acknowledged by Kafka on the feedback topic").register(registry);
        errors = Counter.builder("osprey.ingest.send.errors")
                .description("Records Kafka did not accept").register(registry);
    }
}
