package dev.osprey.classifier.batch;

import dev.osprey.core.image.RawImage;
import org.apache.kafka.common.header.Headers;

/**
 * A decoded image waiting in a batch.
 *
 * @param id        the image id (record key)
 * @param image     the decoded pixels
 * @param offset    its offset on the input partition
 * @param timestamp the input record's timestamp (ingest time)
 * @param truth     ground-truth class from the {@code label} header, or -1
 * @param arrivedMs wall-clock time it joined the batch
 * @param value     the record's original bytes, kept for the dead-letter topic
 * @param headers   the record's original headers, likewise
 */
public record PendingImage(String id, RawImage image, long offset, long timestamp, int truth, long arrivedMs,
                           byte[] value, Headers headers) {
}
