package dev.osprey.trainer.run;

import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.TrainingEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what a run does on {@code training-events} (key: model name). The events are a report,
 * not a commit point: they are sent without a transaction, and a lost one never changes which model
 * serves. Each event is also logged.
 */
public final class TrainingEvents implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingEvents.class);
    private static final JsonSerde<TrainingEvent> SERDE = TrainingEvent.serde();

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    /** @param producerProperties {@code KafkaSettings.eventProducerProperties()} */
    public TrainingEvents(Properties producerProperties, String topic) {
        this.producer = new KafkaProducer<>(producerProperties, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    /** Sends {@code event}; a failure to send is logged, never thrown into the run. */
    public void emit(TrainingEvent event) {
        LOG.info("{}", logLine(event));
        producer.send(new ProducerRecord<>(topic, event.model(), SERDE.toBytes(event)), (m, e) -> {
            if (e != null) {
                LOG.warn("could not write a {} event to {}: {}", event.type(), topic, e.getMessage());
            }
        });
    }

    /**
     * The event as one log line. An event without a message (an epoch) is described by its numbers,
     * so the log never shows an empty {@code ...:} line.
     */
    static String logLine(TrainingEvent event) {
        StringBuilder line = new StringBuilder("training event ").append(event.type()).append(' ')
                .append(event.model());
        if (event.runId() != null) {
            line.append(" run ").append(event.runId());
        }
        if (event.version() != null) {
            line.append(" v").append(event.version());
        }
        List<String> parts = new ArrayList<>();
        if (event.epoch() != null) {
            parts.add("epoch " + event.epoch());
        }
        if (event.loss() != null) {
            parts.add(String.format(Locale.ROOT, "loss %.4f", event.loss()));
        }
        if (event.accuracy() != null) {
            parts.add(String.format(Locale.ROOT, "held-out accuracy %.4f", event.accuracy()));
        }
        if (event.message() != null && !event.message().isBlank()) {
            parts.add(event.message());
        }
        if (!parts.isEmpty()) {
            line.append(": ").append(String.join(", ", parts));
        }
        return line.toString();
    }

    /** Waits until every event sent so far is acknowledged (end of a run). */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
