package dev.osprey.classifier.batch;

import dev.osprey.core.image.ImageDecoder;
import java.time.Duration;

/**
 * When a batch is run, and what it may hold: a batch runs as soon as it holds {@code maxBatch}
 * images or {@code maxBatchBytes} bytes, or when its oldest image has waited {@code maxDelay};
 * an encoded image may declare at most {@code maxPixels} pixels.
 *
 * @param maxBatch      most images per forward pass
 * @param maxDelay      longest wait of the oldest buffered image
 * @param maxBatchBytes most bytes buffered (decoded pixels plus the original value and headers,
 *                      kept for a dead letter): a batch of large images runs early instead of
 *                      filling the heap
 * @param maxPixels     pixel budget per encoded image, checked from its header before decoding
 * @param labelRequestsPerSecond least-confident predictions sent to {@code label-requests} per
 *                      second and input partition, at most (0: none)
 */
public record BatchSettings(int maxBatch, Duration maxDelay, long maxBatchBytes, long maxPixels,
                            double labelRequestsPerSecond) {

    /** 25 a second per partition: 100 for the default 4 partitions, a fifth of a 500 images/s stream. */
    public static final double DEFAULT_LABEL_REQUESTS_PER_SECOND = 25;

    public static final int DEFAULT_MAX_BATCH = 256;
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMillis(20);
    /**
     * 64 MiB: 256 MNIST images take 0.4 MB, so it never cuts a normal batch, while a batch of
     * large photos (up to 3 MiB decoded plus up to 8 MiB original each) runs after a handful.
     */
    public static final long DEFAULT_MAX_BATCH_BYTES = 64L * 1024 * 1024;

    public BatchSettings {
        if (maxBatch < 1 || maxBatch > 65536) {
            throw new IllegalArgumentException("max-batch must be in [1, 65536]: " + maxBatch);
        }
        if (maxDelay.isNegative() || maxDelay.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("max-delay must be in [0, 1 min]: " + maxDelay.toMillis() + " ms");
        }
        if (maxBatchBytes < 1) {
            throw new IllegalArgumentException("max-batch-bytes must be positive: " + maxBatchBytes);
        }
        if (maxPixels < 1 || maxPixels > ImageDecoder.DEFAULT_MAX_PIXELS) {
            throw new IllegalArgumentException("max-pixels must be in [1, " + ImageDecoder.DEFAULT_MAX_PIXELS
                    + "]: " + maxPixels);
        }
        if (!(labelRequestsPerSecond >= 0 && labelRequestsPerSecond <= 100_000)) {
            throw new IllegalArgumentException("label requests per second must be in [0, 100000]: "
                    + labelRequestsPerSecond);
        }
    }

    /** Without a choice of the label-request rate: the default. */
    public BatchSettings(int maxBatch, Duration maxDelay, long maxBatchBytes, long maxPixels) {
        this(maxBatch, maxDelay, maxBatchBytes, maxPixels, DEFAULT_LABEL_REQUESTS_PER_SECOND);
    }

    /** Count and delay limits, with the default byte bound and the default pixel budget for this JVM's heap. */
    public BatchSettings(int maxBatch, Duration maxDelay) {
        this(maxBatch, maxDelay, DEFAULT_MAX_BATCH_BYTES, defaultMaxPixels(Runtime.getRuntime().maxMemory(), maxBatch));
    }

    /**
     * The default pixel budget: what lets {@code maxBatch} images decoded at the budget (3 bytes a
     * pixel) take at most a quarter of the heap, but never less than
     * {@link ImageDecoder#MAX_DECODED_PIXELS} (1024x1024, decoded as is) nor more than
     * {@link ImageDecoder#DEFAULT_MAX_PIXELS} (4096x4096). With a 1 GiB heap and max-batch 256 that
     * is 1024x1024: a 4096x4096 image is then refused from its header in microseconds instead of
     * being inflated in full (the decode above 1024x1024 is subsampled, but every row is still read).
     *
     * @param maxHeapBytes the JVM's maximum heap ({@link Runtime#maxMemory()})
     * @param maxBatch     images per batch
     */
    public static long defaultMaxPixels(long maxHeapBytes, int maxBatch) {
        long fit = maxHeapBytes / 4 / (3L * Math.max(1, maxBatch));
        return Math.max(ImageDecoder.MAX_DECODED_PIXELS, Math.min(ImageDecoder.DEFAULT_MAX_PIXELS, fit));
    }

    public static BatchSettings defaults() {
        return new BatchSettings(DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY);
    }

    /** The same with another byte bound. */
    public BatchSettings withMaxBatchBytes(long bytes) {
        return new BatchSettings(maxBatch, maxDelay, bytes, maxPixels, labelRequestsPerSecond);
    }

    /** The same with another pixel budget. */
    public BatchSettings withMaxPixels(long pixels) {
        return new BatchSettings(maxBatch, maxDelay, maxBatchBytes, pixels, labelRequestsPerSecond);
    }

    /** The same with another label-request rate (per input partition). */
    public BatchSettings withLabelRequestsPerSecond(double perSecond) {
        return new BatchSettings(maxBatch, maxDelay, maxBatchBytes, maxPixels, perSecond);
    }

    /**
     * How often the wall-clock punctuator looks at the buffer: often enough that a batch waits at
     * most about 1.5 x max-delay, rarely enough to stay cheap (each firing halves the records Kafka
     * Streams processes per loop pass).
     */
    public Duration tick() {
        return Duration.ofMillis(Math.max(2, maxDelay.toMillis() / 2));
    }
}
