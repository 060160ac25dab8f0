package dev.osprey.classifier;

import dev.osprey.classifier.batch.InputReplayer;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** For topology tests without a broker: no committed offsets, so nothing is ever re-read. */
final class NoReplay implements InputReplayer {

    static final InputReplayer INSTANCE = new NoReplay();

    private NoReplay() {
    }

    @Override
    public OptionalLong committedOffset(TopicPartition partition) {
        return OptionalLong.empty();
    }

    @Override
    public long logStartOffset(TopicPartition partition) {
        return 0;
    }

    @Override
    public List<ConsumerRecord<String, byte[]>> read(TopicPartition partition, long from, long to) {
        return List.of();
    }
}
