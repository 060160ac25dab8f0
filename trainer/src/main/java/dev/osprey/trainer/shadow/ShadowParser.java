package dev.osprey.trainer.shadow;

import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.ShadowPrediction;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a {@code predictions-shadow} record; an unreadable one is logged and skipped. */
public final class ShadowParser implements FixedKeyProcessor<String, byte[], ShadowPrediction> {

    private static final Logger LOG = LoggerFactory.getLogger(ShadowParser.class);
    private static final JsonSerde<ShadowPrediction> SHADOW = ShadowPrediction.serde();

    private FixedKeyProcessorContext<String, ShadowPrediction> context;

    @Override
    public void init(FixedKeyProcessorContext<String, ShadowPrediction> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        try {
            ShadowPrediction p = SHADOW.fromBytes(record.value());
            if (p.model() == null) {
                throw new SerializationException("no model name");
            }
            context.forward(record.withValue(p));
        } catch (SerializationException e) {
            Optional<RecordMetadata> m = context.recordMetadata();
            LOG.warn("skipping shadow prediction {}-{}@{}: {}", m.map(RecordMetadata::topic).orElse("?"),
                    m.map(RecordMetadata::partition).orElse(-1), m.map(RecordMetadata::offset).orElse(-1L),
                    e.getMessage());
        }
    }
}
