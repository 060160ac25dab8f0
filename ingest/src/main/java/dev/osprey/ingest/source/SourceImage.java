package dev.osprey.ingest.source;

import java.util.Objects;
import org.apache.kafka.common.header.Header;

/**
 * One image as it goes into a record: the value bytes and the headers that describe them.
 *
 * @param idStem   the image id before the run's prefix, e.g. {@code test-00042}
 * @param value    the record value; not modified after it is handed out
 * @param headers  the record headers ({@code content-type}, dimensions, {@code label}, {@code source})
 * @param label    the ground-truth class index, or -1 when unknown
 */
public record SourceImage(String idStem, byte[] value, Header[] headers, int label) {

    public SourceImage {
        Objects.requireNonNull(idStem, "idStem");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(headers, "headers");
    }

    /** True when the ground truth is known, so the image can be sent as feedback. */
    public boolean labelled() {
        return label >= 0;
    }
}
