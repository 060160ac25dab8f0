package dev.osprey.classifier.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.classifier.ClassifierMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Response;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.SerializationExceptionOrigin;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ProductionErrorHandler}: an output that cannot be produced is counted and skipped, never fatal. */
class ProductionErrorHandlerTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ProductionErrorHandler handler = new ProductionErrorHandler();
    private final ProducerRecord<byte[], byte[]> prediction = new ProducerRecord<>("predictions", new byte[1],
            new byte[1]);

    @BeforeEach
    void configure() {
        handler.configure(Map.of(ProductionErrorHandler.LISTENER_CONFIG, new ClassifierMetrics(registry)));
    }

    private double count(String topic, String error) {
        return registry.get("osprey.classifier.production.errors").tag("topic", topic).tag("error", error)
                .counter().count();
    }

    @Test
    void aRecordTooLargeIsCountedAndSkipped() {
        Response response = handler.handleError(FakeErrorContext.of(null, null, null), prediction,
                new RecordTooLargeException("too large"));
        assertThat(response.result()).isEqualTo(Result.RESUME);
        assertThat(count("predictions", "RecordTooLargeException")).isEqualTo(1.0);
    }

    @Test
    void aSerializationErrorIsCountedAndSkipped() {
        Response response = handler.handleSerializationError(FakeErrorContext.of(null, null, null), prediction,
                new SerializationException("bad"), SerializationExceptionOrigin.VALUE);
        assertThat(response.result()).isEqualTo(Result.RESUME);
        assertThat(count("predictions", "SerializationException")).isEqualTo(1.0);
    }

    @Test
    void aTransientErrorIsRetriedNotSkipped() {
        Response response = handler.handleError(FakeErrorContext.of(null, null, null), prediction,
                new TimeoutException("slow broker"));
        assertThat(response.result()).isEqualTo(Result.RETRY);
        assertThat(registry.find("osprey.classifier.production.errors").counters()).isEmpty();
    }
}
