package dev.osprey.trainer.feedback;

import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.topic.OspreyTopics;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the image of a feedback item into a {@link LabelledExample}. An image the classifier
 * would dead-letter is useless for training too: it is logged and skipped.
 */
public final class ExampleDecoder implements FixedKeyProcessor<String, FeedbackItem, LabelledExample> {

    /** Largest decoded image kept. */
    public static final int MAX_PIXEL_BYTES = OspreyTopics.IMAGE_MAX_BYTES;

    private static final Logger LOG = LoggerFactory.getLogger(ExampleDecoder.class);

    private FixedKeyProcessorContext<String, LabelledExample> context;

    @Override
    public void init(FixedKeyProcessorContext<String, LabelledExample> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, FeedbackItem> record) {
        FeedbackItem item = record.value();
        try {
            RawImage image = item.image().decode();
            if (image.pixels().length > MAX_PIXEL_BYTES) {
                // The store's changelog takes records of the topic limit; no model takes such images anyway.
                throw new ImageRejectedException(RejectReason.TOO_LARGE, "decoded image " + image
                        + " is larger than " + MAX_PIXEL_BYTES + " bytes");
            }
            context.forward(record.withValue(new LabelledExample(item.label(), item.kind(), record.timestamp(),
                    image)));
        } catch (ImageRejectedException e) {
            Optional<RecordMetadata> m = context.recordMetadata();
            LOG.warn("skipping {} feedback for image {} ({}-{}@{}): {}: {}", item.kind().id(), record.key(),
                    m.map(RecordMetadata::topic).orElse("?"), m.map(RecordMetadata::partition).orElse(-1),
                    m.map(RecordMetadata::offset).orElse(-1L), e.reason().id(), e.getMessage());
        }
    }
}
