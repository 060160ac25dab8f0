package dev.osprey.classifier.batch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The real {@link InputReplayer}: the committed offset comes from the Admin API with
 * {@code requireStable} (it waits out a transaction still open for the group), and the records
 * are read by a short-lived, group-less, {@code read_committed} consumer.
 */
public final class KafkaInputReplayer implements InputReplayer {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Admin admin;
    private final String groupId;
    private final Properties consumerProps;

    public KafkaInputReplayer(Admin admin, String groupId, Properties consumerProps) {
        this.admin = admin;
        this.groupId = groupId;
        this.consumerProps = consumerProps;
    }

    @Override
    public OptionalLong committedOffset(TopicPartition partition) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin
                    .listConsumerGroupOffsets(groupId, new ListConsumerGroupOffsetsOptions().requireStable(true))
                    .partitionsToOffsetAndMetadata()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            OffsetAndMetadata o = offsets.get(partition);
            return o == null ? OptionalLong.empty() : OptionalLong.of(o.offset());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted reading the committed offset of " + partition, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("cannot read the committed offset of " + partition + " for " + groupId, e);
        }
    }

    @Override
    public List<ConsumerRecord<String, byte[]>> read(TopicPartition partition, long from, long to) {
        Properties props = new Properties();
        props.putAll(consumerProps);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            c.assign(List.of(partition));
            c.seek(partition, from);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (c.position(partition) < to) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaException("timed out re-reading " + partition + " [" + from + ", " + to
                            + "): reached " + c.position(partition));
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() < to) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }
}
