package dev.osprey.trainer.feedback;

import dev.osprey.core.format.FeedbackCorrection;
import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.image.ImageHeaders;
import java.util.Locale;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@code feedback} record: a JSON correction ({@code content-type: application/json}) or a
 * labelled image. A record that is neither is logged with its offset and skipped; the feedback topic
 * is written by people and consoles, and one bad record must not stop learning.
 */
public final class FeedbackParser implements FixedKeyProcessor<String, byte[], FeedbackItem> {

    private static final Logger LOG = LoggerFactory.getLogger(FeedbackParser.class);
    private static final JsonSerde<FeedbackCorrection> CORRECTIONS = FeedbackCorrection.serde();

    private final FeedbackListener listener;
    private FixedKeyProcessorContext<String, FeedbackItem> context;

    public FeedbackParser(FeedbackListener listener) {
        this.listener = listener;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, FeedbackItem> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null || record.value().length == 0) {
            skip("no key (image id) or an empty value");
            return;
        }
        Optional<FeedbackItem> item = isJson(record) ? correction(record) : labelledImage(record);
        item.ifPresent(i -> {
            listener.received(i.kind());
            context.forward(record.withValue(i));
        });
    }

    private static boolean isJson(FixedKeyRecord<String, byte[]> record) {
        return ImageHeaders.text(record.headers(), ImageHeaders.CONTENT_TYPE)
                .map(t -> t.split(";", 2)[0].trim().toLowerCase(Locale.ROOT))
                .filter(FeedbackCorrection.CONTENT_TYPE::equals)
                .isPresent();
    }

    private Optional<FeedbackItem> correction(FixedKeyRecord<String, byte[]> record) {
        FeedbackCorrection c;
        try {
            c = CORRECTIONS.fromBytes(record.value());
        } catch (SerializationException e) {
            skip(e.getMessage());
            return Optional.empty();
        }
        if (c.id() != null && !c.id().equals(record.key())) {
            // The join matches by key: a correction filed under another key would teach the wrong image.
            skip("correction for image '" + c.id() + "' under key '" + record.key() + "'");
            return Optional.empty();
        }
        if (c.label() < 0) {
            skip("negative label " + c.label());
            return Optional.empty();
        }
        return Optional.of(new FeedbackItem(FeedbackKind.CORRECTION, c.label(), null));
    }

    private Optional<FeedbackItem> labelledImage(FixedKeyRecord<String, byte[]> record) {
        Optional<Integer> label = ImageHeaders.label(record.headers());
        if (label.isEmpty()) {
            skip("an image without a valid '" + ImageHeaders.LABEL + "' header, and not a JSON correction");
            return Optional.empty();
        }
        return Optional.of(new FeedbackItem(FeedbackKind.IMAGE, label.get(),
                ImageEnvelope.of(record.value(), record.headers())));
    }

    private void skip(String why) {
        Optional<RecordMetadata> m = context.recordMetadata();
        LOG.warn("skipping feedback record {}-{}@{}: {}", m.map(RecordMetadata::topic).orElse("?"),
                m.map(RecordMetadata::partition).orElse(-1), m.map(RecordMetadata::offset).orElse(-1L), why);
    }
}
