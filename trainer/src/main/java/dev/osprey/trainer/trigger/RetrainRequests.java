package dev.osprey.trainer.trigger;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.RetrainRequest;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes retrain requests on the {@code retrain} topic, as {@code osprey retrain} does. */
public final class RetrainRequests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private RetrainRequests() {
    }

    /**
     * Sends {@code request} for model {@code model} and waits until the broker has it.
     *
     * @return where it was written
     * @throws KafkaException when it cannot be written within 30 s
     */
    public static RecordMetadata send(KafkaSettings settings, String model, RetrainRequest request) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(settings.topics().retrain(), model,
                    RetrainRequest.serde().toBytes(request))).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException e) {
            throw new KafkaException("cannot write to " + settings.topics().retrain() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("timed out writing to " + settings.topics().retrain() + " at "
                    + settings.bootstrapServers(), e);
        }
    }
}
