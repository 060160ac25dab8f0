package dev.osprey.classifier.deadletter;

/** Told about every record Kafka Streams could not produce, for metrics. */
@FunctionalInterface
public interface ProductionErrorListener {

    ProductionErrorListener NONE = (topic, error) -> { };

    /**
     * A record for {@code topic} was not produced.
     *
     * @param topic the output topic
     * @param error the exception's simple class name (bounded: a metric tag)
     */
    void productionFailed(String topic, String error);
}
