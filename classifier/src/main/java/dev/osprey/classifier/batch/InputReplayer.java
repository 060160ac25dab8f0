package dev.osprey.classifier.batch;

import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads back input records that were buffered but never flushed when a task last stopped, so
 * no image is lost to a crash or a rebalance (see {@link BatchingProcessor}).
 */
public interface InputReplayer {

    /** The application's committed offset for {@code partition}, read with a stable (read_committed) fetch. */
    OptionalLong committedOffset(TopicPartition partition);

    /** The first offset still retained in {@code partition} (its log start offset). */
    long logStartOffset(TopicPartition partition);

    /** The records of {@code partition} with offsets in {@code [from, to)}, in order. */
    List<ConsumerRecord<String, byte[]>> read(TopicPartition partition, long from, long to);
}
