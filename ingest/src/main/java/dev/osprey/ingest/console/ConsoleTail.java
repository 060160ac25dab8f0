package dev.osprey.ingest.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.Json;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * One thread that follows {@code images}, {@code predictions}, {@code images-dlq},
 * {@code feedback} and {@code training-events} for the console, built as the API's prediction
 * tail is: a group-less read_committed reader, every partition assigned, the end resolved before
 * {@link #start} returns. It starts at the end of each topic, except {@code training-events},
 * whose last {@link #EVENT_HISTORY} records are read so the version timeline has its past.
 */
final class ConsoleTail implements AutoCloseable {

    static final int EVENT_HISTORY = 300;
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleTail.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(10);

    private final Consumer<String, byte[]> consumer;
    private final OspreyTopics topics;
    private final ConsoleState state;
    private final Thumbnails thumbnails;
    private final Thread thread;
    private volatile boolean running = true;

    private ConsoleTail(Consumer<String, byte[]> consumer, OspreyTopics topics, ConsoleState state,
                        Thumbnails thumbnails) {
        this.consumer = consumer;
        this.topics = topics;
        this.state = state;
        this.thumbnails = thumbnails;
        this.thread = new Thread(this::run, "osprey-console-tail");
        thread.setDaemon(true);
    }

    /** @throws KafkaException when the topics' partitions or offsets cannot be read within {@code timeout} */
    static ConsoleTail start(KafkaSettings settings, ConsoleState state, Thumbnails thumbnails, Duration timeout) {
        OspreyTopics topics = settings.topics();
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.readerProperties("osprey-console"),
                new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> all = new ArrayList<>();
            for (String topic : List.of(topics.images(), topics.predictions(), topics.deadLetters(),
                    topics.feedback(), topics.trainingEvents())) {
                consumer.partitionsFor(topic, timeout).forEach(info -> all.add(new TopicPartition(topic, info.partition())));
            }
            consumer.assign(all);
            Map<TopicPartition, Long> ends = consumer.endOffsets(all, timeout);
            Map<TopicPartition, Long> starts = consumer.beginningOffsets(all, timeout);
            for (TopicPartition tp : all) {
                long end = ends.get(tp);
                boolean history = tp.topic().equals(topics.trainingEvents());
                consumer.seek(tp, history ? Math.max(starts.get(tp), end - EVENT_HISTORY) : end);
            }
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
        ConsoleTail tail = new ConsoleTail(consumer, topics, state, thumbnails);
        tail.thread.start();
        return tail;
    }

    private void run() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                        accept(r);
                    }
                } catch (WakeupException e) {
                    // close() asked us to stop; the loop condition ends it
                } catch (KafkaException e) {
                    LOG.warn("Reading the console's topics failed; retrying in {} ms: {}", RETRY_PAUSE.toMillis(),
                            e.toString());
                    LockSupport.parkNanos(RETRY_PAUSE.toNanos());
                }
            }
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void accept(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return;
        }
        String topic = r.topic();
        if (topic.equals(topics.images())) {
            if (r.key() != null) {
                thumbnails.put(r.key(), r.value(), r.headers());
            }
        } else if (topic.equals(topics.feedback())) {
            state.feedback();
        } else if (topic.equals(topics.deadLetters())) {
            state.deadLetter(deadLetter(r));
        } else {
            try {
                JsonNode node = Json.mapper().readTree(r.value());
                if (!node.isObject()) {
                    return;
                }
                if (topic.equals(topics.predictions())) {
                    state.prediction(node);
                } else {
                    state.trainingEvent(node);
                }
            } catch (IOException e) {
                LOG.warn("Skipping a record on {} partition {} offset {} that is not JSON: {}", topic, r.partition(),
                        r.offset(), e.getMessage());
            }
        }
    }

    /** What the dead-letter table shows: the reason headers and where the record was, never its bytes. */
    private static ObjectNode deadLetter(ConsumerRecord<String, byte[]> r) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("id", r.key());
        n.put("bytes", r.value().length);
        n.put("ts", r.timestamp());
        n.put("dlqPartition", r.partition()).put("dlqOffset", r.offset());
        for (String h : List.of("error", "reason", "source-topic", "source-partition", "source-offset")) {
            ImageHeaders.text(r.headers(), h).ifPresent(v -> n.put(h, v));
        }
        return n;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(CLOSE_BOUND.toMillis());
            if (thread.isAlive()) {
                LOG.warn("The console's reader did not stop within {} s", CLOSE_BOUND.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
