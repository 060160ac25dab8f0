package dev.osprey.classifier.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The crash-recovery path of {@link BatchingProcessor}: with a restored flush pointer behind the
 * committed offset, {@code init} re-reads exactly {@code [pointer, committed)}, skips what was
 * dead-lettered the first time, and the re-read images are classified with the next batch.
 */
class BatchingProcessorRecoveryTest {

    private static final String TOPIC = "images";
    private static final ModelManifest MODEL = new ModelManifest("m", 1, "mlp", new InputSpec(1, 28, 28),
            Normalization.unit(1), List.of("a", "b"), Map.of(), Map.of(), 0, "00", Instant.EPOCH);

    private final List<Integer> batches = new ArrayList<>();
    private final BatchClassifier classifier = images -> {
        batches.add(images.size());
        List<Outcome> out = new ArrayList<>();
        images.forEach(i -> out.add(new Outcome.Classified(new int[] {0, 1}, new float[] {0.6f, 0.4f})));
        return new BatchResult(MODEL, out);
    };

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private MockProcessorContext<String, byte[]> context;
    private KeyValueStore<Integer, Long> pointers;

    @BeforeEach
    void setUp() {
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(1_000L);
        pointers = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BatchingProcessor.POINTER_STORE),
                Serdes.Integer(), Serdes.Long()).withLoggingDisabled().build();
        pointers.init(context.getStateStoreContext(), pointers);
        context.addStateStore(pointers);
    }

    private static ConsumerRecord<String, byte[]> input(long offset, byte[] value) {
        return new ConsumerRecord<>(TOPIC, 0, offset, "id-" + offset, value);
    }

    private static InputReplayer replayer(long committed, List<ConsumerRecord<String, byte[]>> records,
                                          List<long[]> reads) {
        return new InputReplayer() {
            @Override
            public OptionalLong committedOffset(TopicPartition partition) {
                return OptionalLong.of(committed);
            }

            @Override
            public long logStartOffset(TopicPartition partition) {
                return records.isEmpty() ? 0 : records.get(0).offset();
            }

            @Override
            public List<ConsumerRecord<String, byte[]>> read(TopicPartition partition, long from, long to) {
                reads.add(new long[] {from, to});
                return records.stream().filter(r -> r.offset() >= from && r.offset() < to).toList();
            }
        };
    }

    @Test
    void reReadsTheUnflushedRangeAndClassifiesItWithTheNextBatch() {
        pointers.put(0, 10L);
        List<ConsumerRecord<String, byte[]>> log = new ArrayList<>();
        for (long o = 10; o < 15; o++) {
            log.add(input(o, o == 12 ? "junk".getBytes(StandardCharsets.UTF_8) : new byte[784]));
        }
        List<long[]> reads = new ArrayList<>();
        BatchingProcessor processor = new BatchingProcessor(TOPIC, new BatchSettings(5, Duration.ofSeconds(1)),
                classifier, replayer(15, log, reads), new ClassifierMetrics(new SimpleMeterRegistry()));
        processor.init(context);

        assertThat(reads).hasSize(1);
        assertThat(reads.get(0)).containsExactly(10L, 15L);
        assertThat(context.forwarded()).as("nothing runs before the batch is due").isEmpty();

        context.setRecordMetadata(TOPIC, 0, 15);
        processor.process(new Record<>("id-15", new byte[784], 0L));

        assertThat(batches).containsExactly(5);
        List<String> keys = context.forwarded().stream()
                .filter(f -> !BatchingProcessor.LABEL_REQUEST_CHILD.equals(f.childName().orElse(null)))
                .map(f -> (String) f.record().key()).toList();
        assertThat(keys).containsExactly("id-10", "id-11", "id-13", "id-14", "id-15");
        assertThat(pointers.get(0)).isEqualTo(16L);
    }

    @Test
    void nothingToReReadWhenThePointerIsAtTheCommittedOffset() {
        pointers.put(0, 15L);
        List<long[]> reads = new ArrayList<>();
        BatchingProcessor processor = new BatchingProcessor(TOPIC, new BatchSettings(5, Duration.ofSeconds(1)),
                classifier, replayer(15, List.of(), reads), new ClassifierMetrics(new SimpleMeterRegistry()));
        processor.init(context);
        assertThat(reads).isEmpty();
    }

    private BatchingProcessor processor(int maxBatch, InputReplayer replayer) {
        return new BatchingProcessor(TOPIC, new BatchSettings(maxBatch, Duration.ofSeconds(1)), classifier, replayer,
                new ClassifierMetrics(registry));
    }

    private List<String> forwardedKeys() {
        return context.forwarded().stream()
                .filter(f -> !BatchingProcessor.LABEL_REQUEST_CHILD.equals(f.childName().orElse(null)))
                .map(f -> (String) f.record().key()).toList();
    }

    @Test
    void aRecoveredImageWithoutAKeyGetsTheIdItHadTheFirstTime() {
        // First life: a key-less record at offset 3 is taken into a batch that never runs.
        BatchingProcessor first = processor(5, replayer(0, List.of(), new ArrayList<>()));
        first.init(context);
        context.setRecordMetadata(TOPIC, 0, 3);
        first.process(new Record<>(null, new byte[784], 0L));
        first.close();
        assertThat(pointers.get(0)).isEqualTo(3L);

        // Second life: the same record is re-read from the input and classified under the same id.
        ConsumerRecord<String, byte[]> keyless = new ConsumerRecord<>(TOPIC, 0, 3, null, new byte[784]);
        BatchingProcessor second = processor(1, replayer(4, List.of(keyless), new ArrayList<>()));
        second.init(context);
        context.setRecordMetadata(TOPIC, 0, 4);
        second.process(new Record<>("id-4", new byte[784], 0L));
        assertThat(forwardedKeys()).containsExactly(TOPIC + "-0@3", "id-4");
    }

    @Test
    void recordsBelowThePointerAreSkippedAfterTheInputIsRewound() {
        pointers.put(0, 10L);
        BatchingProcessor processor = processor(2, replayer(10, List.of(), new ArrayList<>()));
        processor.init(context);
        for (long o = 7; o < 12; o++) {
            context.setRecordMetadata(TOPIC, 0, o);
            processor.process(new Record<>("id-" + o, new byte[784], 0L));
        }
        assertThat(forwardedKeys()).as("7, 8 and 9 were classified before the rewind")
                .containsExactly("id-10", "id-11");
        assertThat(batches).containsExactly(2);
        assertThat(pointers.get(0)).isEqualTo(12L);
    }

    @Test
    void offsetsDeletedByRetentionAreCountedAndTheRestIsRecovered() {
        pointers.put(0, 10L);
        List<ConsumerRecord<String, byte[]>> retained = List.of(input(13, new byte[784]), input(14, new byte[784]));
        List<long[]> reads = new ArrayList<>();
        BatchingProcessor processor = processor(3, replayer(15, retained, reads));
        processor.init(context);
        assertThat(reads).hasSize(1);
        assertThat(reads.get(0)).as("only the retained part is read").containsExactly(13L, 15L);
        assertThat(registry.get("osprey.classifier.recovery.lost").counter().count()).isEqualTo(3.0);

        context.setRecordMetadata(TOPIC, 0, 15);
        processor.process(new Record<>("id-15", new byte[784], 0L));
        assertThat(forwardedKeys()).containsExactly("id-13", "id-14", "id-15");
    }
}
