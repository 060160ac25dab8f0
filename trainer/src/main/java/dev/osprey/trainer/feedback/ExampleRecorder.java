package dev.osprey.trainer.feedback;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each example in the changelogged examples store, keyed by image id: the trainer's memory of
 * its feedback. The changelog topic in Kafka is the durable copy; the local store is rebuilt from it
 * after a restart. A newer label for the same image replaces the older one.
 */
public final class ExampleRecorder implements Processor<String, LabelledExample, Void, Void> {

    /** The store's name; the training run reads it through interactive queries. */
    public static final String STORE = "feedback-examples";

    private final FeedbackListener listener;
    private KeyValueStore<String, LabelledExample> store;

    public ExampleRecorder(FeedbackListener listener) {
        this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, LabelledExample> record) {
        store.put(record.key(), record.value());
        listener.stored(record.key(), record.value());
    }
}
