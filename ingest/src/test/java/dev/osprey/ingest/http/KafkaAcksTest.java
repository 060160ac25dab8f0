package dev.osprey.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.ingest.IngestMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Readiness of the HTTP API follows what Kafka does with its sends. */
class KafkaAcksTest {

    @Test
    void aRefusedSendMakesItUnreadyUntilOneSucceedsAgain() {
        MockProducer<String, byte[]> producer = new MockProducer<>(false, null, new StringSerializer(),
                new ByteArraySerializer());
        IngestMetrics metrics = new IngestMetrics(new SimpleMeterRegistry());
        KafkaAcks acks = new KafkaAcks(producer, metrics);
        assertThat(acks.healthy()).as("nothing sent yet").isTrue();

        var first = acks.send(new ProducerRecord<>("images", "a", new byte[1]), metrics.published());
        producer.errorNext(new TimeoutException("no broker"));
        assertThat(first).isCompletedExceptionally();
        assertThat(acks.healthy()).isFalse();
        assertThat(KafkaAcks.failure("image", first.handle((md, e) -> e).join()))
                .startsWith("Kafka did not accept the image");

        var second = acks.send(new ProducerRecord<>("images", "b", new byte[1]), metrics.published());
        producer.completeNext();
        assertThat(second).isCompleted();
        assertThat(acks.healthy()).isTrue();
        assertThat(metrics.published().count()).isEqualTo(1.0);
        assertThat(metrics.errors().count()).isEqualTo(1.0);
    }
}
