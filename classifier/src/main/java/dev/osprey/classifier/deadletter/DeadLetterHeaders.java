package dev.osprey.classifier.deadletter;

import dev.osprey.core.image.RejectReason;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers Osprey adds to a record on {@code images-dlq}, beside the original headers.
 * See docs/FORMATS.md.
 */
public final class DeadLetterHeaders {

    /** Stable reason id, e.g. {@code corrupt-image} (a {@link RejectReason#id()}). */
    public static final String ERROR = "error";
    /** The reason in words. */
    public static final String REASON = "reason";
    public static final String SOURCE_TOPIC = "source-topic";
    public static final String SOURCE_PARTITION = "source-partition";
    public static final String SOURCE_OFFSET = "source-offset";
    /** Present only on a dead letter that was cut to fit the topic: what was cut, e.g. {@code value}. */
    public static final String TRUNCATED = "truncated";
    /** With {@code truncated: value}, the value's size in bytes before the cut. */
    public static final String ORIGINAL_SIZE = "original-size";

    private DeadLetterHeaders() {
    }

    /** A copy of {@code original} with the dead-letter headers set. */
    public static Headers of(Headers original, RejectReason reason, String message, String topic, int partition,
                             long offset) {
        RecordHeaders headers = original == null ? new RecordHeaders() : new RecordHeaders(original.toArray());
        set(headers, ERROR, reason.id());
        set(headers, REASON, message);
        set(headers, SOURCE_TOPIC, topic);
        set(headers, SOURCE_PARTITION, Integer.toString(partition));
        set(headers, SOURCE_OFFSET, Long.toString(offset));
        return headers;
    }

    private static void set(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
