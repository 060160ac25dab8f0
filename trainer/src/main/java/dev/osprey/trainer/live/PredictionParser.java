package dev.osprey.trainer.live;

import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.Prediction;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a {@code predictions} record down to a {@link PredictedClass}; an unreadable one is logged and skipped. */
public final class PredictionParser implements FixedKeyProcessor<String, byte[], PredictedClass> {

    private static final Logger LOG = LoggerFactory.getLogger(PredictionParser.class);
    private static final JsonSerde<Prediction> PREDICTIONS = Prediction.serde();

    private FixedKeyProcessorContext<String, PredictedClass> context;

    @Override
    public void init(FixedKeyProcessorContext<String, PredictedClass> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        try {
            Prediction p = PREDICTIONS.fromBytes(record.value());
            if (p.model() == null) {
                throw new SerializationException("no model name");
            }
            context.forward(record.withValue(new PredictedClass(p.model(), p.version(), p.classIndex())));
        } catch (SerializationException e) {
            Optional<RecordMetadata> m = context.recordMetadata();
            LOG.warn("skipping prediction {}-{}@{}: {}", m.map(RecordMetadata::topic).orElse("?"),
                    m.map(RecordMetadata::partition).orElse(-1), m.map(RecordMetadata::offset).orElse(-1L),
                    e.getMessage());
        }
    }
}
