package dev.osprey.core.topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The one way Osprey reads a topic without a consumer group: assign every partition, read what
 * the topic holds now (to the end offsets taken at the start), re-read one record, or read an
 * offset range. Every read is bounded in time and ends early when {@code running} turns false.
 * Give it properties from a {@code KafkaSettings} reader method (read_committed, no auto commit).
 */
public final class TopicReader implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaConsumer<String, byte[]> consumer;

    public TopicReader(Properties readerProperties) {
        this.consumer = new KafkaConsumer<>(readerProperties, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Assigns every partition of {@code topic} to this reader.
     *
     * @throws UnknownTopicOrPartitionException when the topic does not exist (yet)
     */
    public List<TopicPartition> assignAll(String topic, Duration timeout) {
        return assignAll(List.of(topic), timeout);
    }

    /**
     * Assigns every partition of each of {@code topics} to this reader (a reader for a person, such
     * as {@code osprey tail}: no group to join, so the first record comes a coordinator round trip
     * sooner).
     *
     * @throws UnknownTopicOrPartitionException when one of them does not exist (yet)
     */
    public List<TopicPartition> assignAll(List<String> topics, Duration timeout) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<TopicPartition> of = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (of.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + topic + " does not exist (yet)");
            }
            partitions.addAll(of);
        }
        consumer.assign(partitions);
        return partitions;
    }

    /**
     * Reads the assigned partitions from the beginning to the end offsets they have now, giving each
     * record below them to {@code each}; the reader is then positioned at those offsets.
     *
     * @return the end offsets read to
     * @throws KafkaException when {@code bound} passes first
     */
    public Map<TopicPartition, Long> readToEnd(Duration bound, BooleanSupplier running,
                                               Consumer<ConsumerRecord<String, byte[]>> each) {
        List<TopicPartition> partitions = new ArrayList<>(consumer.assignment());
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, bound);
        long deadline = System.nanoTime() + bound.toNanos();
        while (running.getAsBoolean() && partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new KafkaException("timed out reading " + partitions + " to " + end + " in "
                        + bound.toSeconds() + " s");
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    each.accept(r);
                }
            }
        }
        return end;
    }

    /**
     * The record at {@code offset} of {@code partition} (assigned), or empty when it is gone
     * (compacted or deleted since); the other partitions keep their positions.
     *
     * @throws KafkaException when {@code bound} passes first
     */
    public Optional<ConsumerRecord<String, byte[]>> recordAt(TopicPartition partition, long offset, Duration bound,
                                                              BooleanSupplier running) {
        List<TopicPartition> others = consumer.assignment().stream().filter(tp -> !tp.equals(partition)).toList();
        consumer.pause(others);
        try {
            consumer.seek(partition, offset);
            long deadline = System.nanoTime() + bound.toNanos();
            while (running.getAsBoolean() && consumer.position(partition) <= offset) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaException("timed out re-reading " + partition + "@" + offset + " in "
                            + bound.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() >= offset) {
                        return r.offset() == offset ? Optional.of(r) : Optional.empty();
                    }
                }
            }
            return Optional.empty();
        } finally {
            consumer.resume(others);
        }
    }

    /**
     * The records of {@code [from, to)} of {@code partition}, which this reader then owns alone;
     * offsets without a record (transaction markers, compaction, retention) are simply absent.
     *
     * @throws KafkaException when {@code bound} passes first
     */
    public List<ConsumerRecord<String, byte[]>> range(TopicPartition partition, long from, long to, Duration bound) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        consumer.assign(List.of(partition));
        consumer.seek(partition, from);
        long deadline = System.nanoTime() + bound.toNanos();
        while (consumer.position(partition) < to) {
            if (System.nanoTime() > deadline) {
                throw new KafkaException("timed out re-reading " + partition + " [" + from + ", " + to
                        + "): reached " + consumer.position(partition));
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                if (r.offset() < to) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /**
     * Positions every assigned partition at its end offset now, so that the next {@link #poll}
     * returns only records written after this call.
     *
     * @return the end offsets positioned at
     */
    public Map<TopicPartition, Long> seekToEnd(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
        end.forEach(consumer::seek);
        return end;
    }

    /** Moves {@code partition} (assigned) to {@code offset}. */
    public void seek(TopicPartition partition, long offset) {
        consumer.seek(partition, offset);
    }

    /** The next records after the current positions, waiting at most {@code timeout}. */
    public ConsumerRecords<String, byte[]> poll(Duration timeout) {
        return consumer.poll(timeout);
    }

    /** The earliest offset {@code partition} still holds. */
    public long beginningOffset(TopicPartition partition, Duration timeout) {
        return consumer.beginningOffsets(List.of(partition), timeout).get(partition);
    }

    /** Makes a blocked or the next {@link #poll} throw {@code WakeupException}: the one call safe from another thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
