package dev.osprey.trainer.trigger;

import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.RetrainRequest;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@code retrain} record. An empty value is a request with no reason; a value that is not
 * a RetrainRequest is logged with its offset and skipped.
 */
public final class RetrainRequestParser implements FixedKeyProcessor<String, byte[], RetrainRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(RetrainRequestParser.class);
    private static final JsonSerde<RetrainRequest> REQUESTS = RetrainRequest.serde();

    private FixedKeyProcessorContext<String, RetrainRequest> context;

    @Override
    public void init(FixedKeyProcessorContext<String, RetrainRequest> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        try {
            RetrainRequest r = record.value() == null || record.value().length == 0
                    ? new RetrainRequest(null, null, null)
                    : REQUESTS.fromBytes(record.value());
            context.forward(record.withValue(r));
        } catch (SerializationException e) {
            Optional<RecordMetadata> m = context.recordMetadata();
            LOG.warn("skipping retrain request {}-{}@{}: {}", m.map(RecordMetadata::topic).orElse("?"),
                    m.map(RecordMetadata::partition).orElse(-1), m.map(RecordMetadata::offset).orElse(-1L),
                    e.getMessage());
        }
    }
}
