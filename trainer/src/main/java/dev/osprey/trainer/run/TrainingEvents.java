package dev.osprey.trainer.run;

import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.TrainingEvent;
import java.time.Duration;
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
        LOG.info("training event {} {} run {}{}: {}", event.type(), event.model(), event.runId(),
                event.version() == null ? "" : " v" + event.version(), event.message() == null ? "" : event.message());
        producer.send(new ProducerRecord<>(topic, event.model(), SERDE.toBytes(event)), (m, e) -> {
            if (e != null) {
                LOG.warn("could not write a {} event to {}: {}", event.type(), topic, e.getMessage());
            }
        });
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
