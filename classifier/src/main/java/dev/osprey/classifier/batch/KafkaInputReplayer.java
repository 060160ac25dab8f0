package dev.osprey.classifier.batch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The real {@link InputReplayer}: short-lived {@code read_committed} consumers that read the
 * application's committed offset and the records to re-read. They never join the group.
 */
public final class KafkaInputReplayer implements InputReplayer {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String groupId;
    private final Properties consumerProps;

    public KafkaInputReplayer(String groupId, Properties consumerProps) {
        this.groupId = groupId;
        this.consumerProps = consumerProps;
    }

    /**
     * Asks a group-less-member consumer of the application's group: with {@code read_committed} its
     * offset fetch requires stable offsets and retries while a transaction of the group is still open
     * (the Admin API instead drops such a partition from its answer, which would read as "no offset").
     */
    @Override
    public OptionalLong committedOffset(TopicPartition partition) {
        Properties props = new Properties();
        props.putAll(consumerProps);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            OffsetAndMetadata o = c.committed(Set.of(partition), TIMEOUT).get(partition);
            return o == null ? OptionalLong.empty() : OptionalLong.of(o.offset());
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
