package dev.osprey.trainer.feedback;

import dev.osprey.core.image.ImageRejectedException;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each example, converted once to the model's input resolution, in the bounded
 * {@link FeedbackStore} that runs train from, and in the changelogged examples store, keyed by image
 * id: the durable copy, from which the local store and the {@code FeedbackStore} are rebuilt after a
 * restart or a task move. A newer label for the same image replaces the older one; an example the
 * {@code FeedbackStore} evicts is deleted from the durable store too, by the recorder of its
 * partition, the next time that recorder runs.
 */
public final class ExampleRecorder implements Processor<String, LabelledExample, Void, Void> {

    /** The store's name: the durable copy of the feedback kept. */
    public static final String STORE = "feedback-examples";

    private static final Logger LOG = LoggerFactory.getLogger(ExampleRecorder.class);

    private final FeedbackListener listener;
    private final FeedbackStore memory;
    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, LabelledExample> store;
    private int partition;

    public ExampleRecorder(FeedbackListener listener, FeedbackStore memory) {
        this.listener = listener;
        this.memory = memory;
    }

    /** Loads this partition's examples (restored before a processor starts) into the bounded store. */
    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
        this.partition = context.taskId().partition();
        int loaded = 0;
        try (KeyValueIterator<String, LabelledExample> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, LabelledExample> kv = it.next();
                Optional<LabelledExample> fitted = fit(kv.key, kv.value);
                if (fitted.isPresent()) {
                    memory.put(kv.key, fitted.get(), partition);
                    loaded++;
                }
            }
        }
        if (loaded > 0) {
            LOG.info("loaded {} stored feedback examples of partition {}: {}", loaded, partition, memory);
        }
    }

    @Override
    public void process(Record<String, LabelledExample> record) {
        Optional<LabelledExample> fitted = fit(record.key(), record.value());
        if (fitted.isEmpty()) {
            return;
        }
        store.put(record.key(), fitted.get());
        memory.put(record.key(), fitted.get(), partition);
        for (String evicted : memory.takeEvicted(partition)) {
            store.delete(evicted);
        }
        listener.stored(record.key(), fitted.get());
    }

    /** The example at the model's input resolution, or empty (logged) if it cannot be. */
    private Optional<LabelledExample> fit(String id, LabelledExample example) {
        try {
            return Optional.of(memory.atInputResolution(example));
        } catch (ImageRejectedException | IllegalArgumentException e) {
            Optional<RecordMetadata> m = context.recordMetadata();
            LOG.warn("skipping {} feedback for image {} ({}-{}@{}): {}", example.kind().id(), id,
                    m.map(RecordMetadata::topic).orElse("?"), m.map(RecordMetadata::partition).orElse(-1),
                    m.map(RecordMetadata::offset).orElse(-1L), e.getMessage());
            return Optional.empty();
        }
    }

    /** This task leaves the instance: its examples go with it (the next owner loads them). */
    @Override
    public void close() {
        memory.dropPartition(partition);
    }
}
