package dev.osprey.bench.classifier;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.ImageHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The record values and headers of a dataset's images, built once: raw 8-bit pixels with the
 * {@code content-type}, {@code width}, {@code height}, {@code channels} and {@code label} headers,
 * exactly what {@code osprey ingest} sends for IDX data. Producers loop over them, so building a
 * record costs no encoding on the bench's side of the measurement.
 */
public final class ImagePayloads {

    private final byte[][] values;
    private final Header[][] headers;

    public ImagePayloads(Dataset dataset) {
        int n = dataset.size();
        int bytes = dataset.imageBytes();
        values = new byte[n][];
        headers = new Header[n][];
        Header type = header(ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW);
        Header width = header(ImageHeaders.WIDTH, Integer.toString(dataset.width()));
        Header height = header(ImageHeaders.HEIGHT, Integer.toString(dataset.height()));
        Header channels = header(ImageHeaders.CHANNELS, Integer.toString(dataset.channels()));
        for (int i = 0; i < n; i++) {
            byte[] v = new byte[bytes];
            System.arraycopy(dataset.pixels(), i * bytes, v, 0, bytes);
            values[i] = v;
            headers[i] = List.of(type, width, height, channels,
                    header(ImageHeaders.LABEL, Integer.toString(dataset.label(i)))).toArray(new Header[0]);
        }
    }

    int size() {
        return values.length;
    }

    /** The value of image {@code i % size()}; shared, never modified by the producer. */
    byte[] value(long i) {
        return values[(int) (i % values.length)];
    }

    /** Fresh headers for one record (the producer makes a record's headers read-only once sent). */
    Headers headers(long i) {
        return new RecordHeaders(headers[(int) (i % headers.length)]);
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
