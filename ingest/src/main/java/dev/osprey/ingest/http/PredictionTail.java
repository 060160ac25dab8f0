package dev.osprey.ingest.http;

import dev.osprey.core.config.KafkaSettings;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that follows {@code predictions} (read_committed, every partition, no consumer
 * group) from where it ended when the server started, and puts each prediction into
 * {@link RecentPredictions}. One consumer serves every waiting request.
 */
final class PredictionTail implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PredictionTail.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(10);
    /** Requests that may wait on {@link #settled()} at once; the rest wait for their prediction. */
    static final int MAX_SETTLES = 10_000;
    private static final Duration SETTLE_BOUND = Duration.ofSeconds(5);

    private final Consumer<String, byte[]> consumer;
    private final RecentPredictions recent;
    private final String topic;
    private final Thread thread;
    private volatile boolean running = true;
    /** Whether the last poll left every partition at its end (read_committed: the last stable offset). */
    private volatile boolean caughtUp;
    /** Polls finished so far. */
    private final AtomicLong polls = new AtomicLong();
    /** Requests waiting for {@link #settled()}, each with the poll count that answers it. */
    private final Queue<Settle> settles = new ConcurrentLinkedQueue<>();
    private final AtomicInteger settleCount = new AtomicInteger();

    private record Settle(long afterPolls, CompletableFuture<Boolean> answer) {
    }

    private PredictionTail(Consumer<String, byte[]> consumer, RecentPredictions recent, String topic) {
        this.consumer = consumer;
        this.recent = recent;
        this.topic = topic;
        this.thread = new Thread(this::run, "osprey-ingest-predictions");
        thread.setDaemon(true);
    }

    /**
     * Assigns every partition of {@code predictions} and resolves the end offsets before it
     * returns, so a prediction written after this call is always seen.
     *
     * @throws KafkaException when the topic's partitions or offsets cannot be read within {@code timeout}
     */
    static PredictionTail start(KafkaSettings settings, RecentPredictions recent, Duration timeout) {
        // Assigned partitions and no commits: no group, so any number of servers can tail alike.
        Properties props = settings.readerProperties("osprey-ingest-http-predictions");
        String topic = settings.topics().predictions();
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            // seekToEnd is lazy: without this, the end would be fixed at the first poll, after
            // predictions written in between.
            partitions.forEach(tp -> consumer.position(tp, timeout));
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
        PredictionTail tail = new PredictionTail(consumer, recent, topic);
        tail.thread.start();
        return tail;
    }

    private void run() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                        if (r.key() != null && r.value() != null) {
                            recent.put(r.key(), r.value());
                        }
                    }
                    // After the puts: when this says true, every prediction read so far is in `recent`.
                    caughtUp = atEnd();
                    recent.evictExpired();
                } catch (WakeupException e) {
                    // close() asked us to stop; the loop condition ends it
                } catch (KafkaException e) {
                    caughtUp = false;
                    LOG.warn("Reading {} failed; retrying in {} ms: {}", topic, RETRY_PAUSE.toMillis(), e.toString());
                    LockSupport.parkNanos(RETRY_PAUSE.toNanos());
                }
                answerSettles(polls.incrementAndGet(), caughtUp);
            }
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            answerSettles(Long.MAX_VALUE, false);
        }
    }

    private void answerSettles(long done, boolean atEnd) {
        for (Iterator<Settle> it = settles.iterator(); it.hasNext(); ) {
            Settle s = it.next();
            if (s.afterPolls() <= done) {
                it.remove();
                settleCount.decrementAndGet();
                s.answer().complete(atEnd);
            }
        }
    }

    /**
     * Completes once two whole polls have finished after this call, with whether the reader was
     * then at the end of every partition. One poll is not enough: the consumer fetches ahead, so
     * the first poll may answer from a fetch sent before a prediction that was written just before
     * this call. {@code false} at once when {@value #MAX_SETTLES} requests already wait, or the
     * reader has stopped.
     */
    CompletableFuture<Boolean> settled() {
        if (!running) {
            return CompletableFuture.completedFuture(false);
        }
        if (settleCount.incrementAndGet() > MAX_SETTLES) {
            settleCount.decrementAndGet();
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        settles.add(new Settle(polls.get() + 2, answer));
        // A safety net for a reader that stopped between the check above and the add.
        return answer.completeOnTimeout(false, SETTLE_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** From the lag the last fetch reported (no request to the broker); unknown lag is not the end. */
    private boolean atEnd() {
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isEmpty() || lag.getAsLong() > 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(CLOSE_BOUND.toMillis());
            if (thread.isAlive()) {
                LOG.warn("The {} reader did not stop within {} s", topic, CLOSE_BOUND.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
