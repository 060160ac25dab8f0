package dev.osprey.bench.classifier;

import dev.osprey.core.config.KafkaSettings;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes bench images to an {@code images} topic: all at once before a throughput run, or at a
 * fixed rate during a latency run. Image {@code i} has the key {@code idPrefix + i}, so the output
 * reader can tell every id apart.
 */
public final class ImageProducer implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final ImagePayloads payloads;
    private final String idPrefix;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Callback callback = (metadata, e) -> {
        if (e != null) {
            failure.compareAndSet(null, e);
        }
    };

    /**
     * @param lingerMs how long the producer waits to fill a batch: long for the bulk pre-load,
     *                 about 1 ms for a latency run, where it is part of the measured time
     */
    public ImageProducer(String bootstrap, String topic, ImagePayloads payloads, String idPrefix, int lingerMs) {
        // Osprey's producer settings (acks=all, idempotent, lz4), tuned for a bulk pre-load.
        Properties p = KafkaSettings.of(bootstrap, "").producerProperties();
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer-" + idPrefix);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.payloads = payloads;
        this.idPrefix = idPrefix;
    }

    /** Sends images {@code [0, count)} as fast as the producer takes them and waits for every ack. */
    public void preload(int count) {
        for (int i = 0; i < count; i++) {
            send(i, null);
        }
        flushAndCheck();
    }

    /**
     * Sends images at {@code perSecond} for {@code duration}, each stamped with the wall-clock time
     * of its send (the ingest timestamp the latency is measured from), then waits for every ack.
     *
     * @return how many images were sent
     */
    long paced(double perSecond, Duration duration) {
        return paced(perSecond, duration, 0);
    }

    /** As {@link #paced(double, Duration)}, numbering the images from {@code firstIndex}. */
    public long paced(double perSecond, Duration duration, long firstIndex) {
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long sent = 0;
        for (long now = start; now < end; now = System.nanoTime()) {
            long due = (long) ((now - start) / 1e9 * perSecond);
            while (sent < due) {
                send(firstIndex + sent++, System.currentTimeMillis());
            }
            // 0.2 ms steps: even at 40k images/s a step sends ~8 images, a steady stream, not bursts.
            LockSupport.parkNanos(200_000);
        }
        flushAndCheck();
        return sent;
    }

    private void send(long i, Long timestamp) {
        producer.send(new ProducerRecord<>(topic, null, timestamp, idPrefix + i, payloads.value(i),
                payloads.headers(i)), callback);
    }

    /** Bounded: every record completes, acked or failed, within {@code delivery.timeout.ms}. */
    private void flushAndCheck() {
        producer.flush();
        Exception e = failure.get();
        if (e != null) {
            throw new KafkaException("sending images to " + topic + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
