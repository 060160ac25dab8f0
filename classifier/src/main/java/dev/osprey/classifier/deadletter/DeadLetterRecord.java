package dev.osprey.classifier.deadletter;

import dev.osprey.core.image.RejectReason;
import dev.osprey.core.topic.OspreyTopics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The key, value and headers of one dead letter, cut to what {@code images-dlq} accepts.
 *
 * <p>A dead letter that cannot be produced is worse than a truncated one: under exactly-once the
 * failed send aborts the transaction, the task re-processes the same record, and fails again for
 * ever. So the parts are bounded before the record is made: the value to
 * {@link #MAX_VALUE_BYTES}, the key to {@link #MAX_KEY_BYTES}, the original headers to
 * {@link #MAX_ORIGINAL_HEADER_BYTES} (all of them are dropped when they weigh more), and Osprey's
 * reason text to {@link #MAX_REASON_CHARS}. Together they stay under the topic's
 * {@code max.message.bytes} ({@link OspreyTopics#IMAGE_MAX_BYTES} + 64 KiB). What was cut is named
 * in the {@link DeadLetterHeaders#TRUNCATED} header, and the value's size before the cut in
 * {@link DeadLetterHeaders#ORIGINAL_SIZE}.
 *
 * @param key     the key, possibly cut; {@code null} when the source record had none
 * @param value   the value, possibly cut; {@code null} for a tombstone
 * @param headers the original headers (unless dropped) and the dead-letter headers
 */
public record DeadLetterRecord(byte[] key, byte[] value, Headers headers) {

    public static final int MAX_VALUE_BYTES = OspreyTopics.IMAGE_MAX_BYTES;
    public static final int MAX_KEY_BYTES = OspreyTopics.IMAGE_ID_MAX_BYTES;
    public static final int MAX_ORIGINAL_HEADER_BYTES = 32 * 1024;
    public static final int MAX_REASON_CHARS = 1024;

    /**
     * The bounded dead letter of a source record.
     *
     * @param key       the source record's key bytes, or {@code null}
     * @param value     the source record's value bytes, or {@code null}
     * @param original  the source record's headers, or {@code null}
     * @param reason    why it was refused
     * @param message   the reason in words
     * @param topic     source topic
     * @param partition source partition
     * @param offset    source offset
     */
    public static DeadLetterRecord of(byte[] key, byte[] value, Headers original, RejectReason reason,
                                      String message, String topic, int partition, long offset) {
        List<String> cut = new ArrayList<>(3);
        byte[] boundedKey = key;
        if (key != null && key.length > MAX_KEY_BYTES) {
            boundedKey = Arrays.copyOf(key, MAX_KEY_BYTES);
            cut.add("key");
        }
        byte[] boundedValue = value;
        if (value != null && value.length > MAX_VALUE_BYTES) {
            boundedValue = Arrays.copyOf(value, MAX_VALUE_BYTES);
            cut.add("value");
        }
        Headers kept = original;
        if (original != null && headerBytes(original) > MAX_ORIGINAL_HEADER_BYTES) {
            kept = null;
            cut.add("headers");
        }
        String text = message == null ? reason.id() : message;
        if (text.length() > MAX_REASON_CHARS) {
            text = text.substring(0, MAX_REASON_CHARS) + "...";
        }
        Headers headers = DeadLetterHeaders.of(kept, reason, text, topic, partition, offset);
        if (!cut.isEmpty()) {
            headers.remove(DeadLetterHeaders.TRUNCATED);
            headers.add(DeadLetterHeaders.TRUNCATED, String.join(",", cut).getBytes(StandardCharsets.UTF_8));
            if (boundedValue != value) {
                headers.remove(DeadLetterHeaders.ORIGINAL_SIZE);
                headers.add(DeadLetterHeaders.ORIGINAL_SIZE,
                        Integer.toString(value.length).getBytes(StandardCharsets.UTF_8));
            }
        }
        return new DeadLetterRecord(boundedKey, boundedValue, headers);
    }

    /** The same, for a record whose key is already a bounded image id. */
    public static DeadLetterRecord of(String key, byte[] value, Headers original, RejectReason reason,
                                      String message, String topic, int partition, long offset) {
        return of(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, original, reason, message,
                topic, partition, offset);
    }

    /** Whether anything was cut. */
    public boolean truncated() {
        return headers.lastHeader(DeadLetterHeaders.TRUNCATED) != null;
    }

    private static long headerBytes(Headers headers) {
        long n = 0;
        for (Header h : headers) {
            n += h.key().length() + (h.value() == null ? 0 : h.value().length) + 8;
        }
        return n;
    }
}
