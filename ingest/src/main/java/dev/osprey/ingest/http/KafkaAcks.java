package dev.osprey.ingest.http;

import dev.osprey.ingest.IngestMetrics;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;

/**
 * The bridge from Kafka's acknowledgement to an HTTP answer: a send becomes a future that
 * completes when the broker acknowledged the record, or fails within {@link #ACK_WAIT}, and a
 * failure becomes the one sentence a 503 carries. It counts what it sends; it does not own the
 * producer (the server does, and closes it).
 */
final class KafkaAcks {

    /** An upload is answered 503 if Kafka has not acknowledged it by then. */
    static final Duration ACK_WAIT = Duration.ofSeconds(30);

    private final Producer<String, byte[]> producer;
    private final IngestMetrics metrics;
    /** Whether the newest send that completed was refused: the API then cannot do its job. */
    private volatile boolean lastFailed;

    KafkaAcks(Producer<String, byte[]> producer, IngestMetrics metrics) {
        this.producer = producer;
        this.metrics = metrics;
    }

    /** Sends asynchronously; the future completes on the producer's thread, or fails after {@link #ACK_WAIT}. */
    CompletableFuture<RecordMetadata> send(ProducerRecord<String, byte[]> record, Counter acknowledged) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        try {
            producer.send(record, (md, e) -> {
                lastFailed = e != null;
                if (e == null) {
                    acknowledged.increment();
                    result.complete(md);
                } else {
                    metrics.errors().increment();
                    result.completeExceptionally(e);
                }
            });
        } catch (KafkaException e) {
            // Refused before sending: no metadata within max.block.ms, or the record is too large.
            lastFailed = true;
            metrics.errors().increment();
            result.completeExceptionally(e);
        }
        return result.orTimeout(ACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** False once the newest completed send failed, until one succeeds again. */
    boolean healthy() {
        return !lastFailed;
    }

    /** What a 503 says when the {@code what} (image, feedback) was not acknowledged. */
    static String failure(String what, Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return e instanceof TimeoutException
                ? "Kafka did not acknowledge the " + what + " within " + ACK_WAIT.toSeconds() + " s"
                : "Kafka did not accept the " + what + ": " + IngestHttpServer.describe(e);
    }
}
