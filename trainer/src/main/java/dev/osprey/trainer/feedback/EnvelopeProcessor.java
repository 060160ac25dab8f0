package dev.osprey.trainer.feedback;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/** Wraps an {@code images} record's value with the headers its decoding needs, for the join. */
public final class EnvelopeProcessor implements FixedKeyProcessor<String, byte[], ImageEnvelope> {

    private FixedKeyProcessorContext<String, ImageEnvelope> context;

    @Override
    public void init(FixedKeyProcessorContext<String, ImageEnvelope> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        // The join drops null keys anyway; an empty value would only be dead-lettered by the classifier.
        if (record.key() != null && record.value() != null && record.value().length > 0) {
            context.forward(record.withValue(ImageEnvelope.of(record.value(), record.headers())));
        }
    }
}
