package dev.osprey.classifier.batch;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.TopicReader;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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
    private final KafkaSettings settings;

    public KafkaInputReplayer(String groupId, KafkaSettings settings) {
        this.groupId = groupId;
        this.settings = settings;
    }

    /**
     * Asks a group-less-member consumer of the application's group: with {@code read_committed} its
     * offset fetch requires stable offsets and retries while a transaction of the group is still open
     * (the Admin API instead drops such a partition from its answer, which would read as "no offset").
     */
    @Override
    public OptionalLong committedOffset(TopicPartition partition) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(settings.offsetCheckerProperties(groupId), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            OffsetAndMetadata o = c.committed(Set.of(partition), TIMEOUT).get(partition);
            return o == null ? OptionalLong.empty() : OptionalLong.of(o.offset());
        }
    }

    @Override
    public long logStartOffset(TopicPartition partition) {
        try (TopicReader reader = new TopicReader(settings.imageReaderProperties())) {
            return reader.beginningOffset(partition, TIMEOUT);
        }
    }

    @Override
    public List<ConsumerRecord<String, byte[]>> read(TopicPartition partition, long from, long to) {
        try (TopicReader reader = new TopicReader(settings.imageReaderProperties())) {
            return reader.range(partition, from, to, TIMEOUT);
        }
    }
}
