package dev.osprey.classifier.batch;

import java.time.Duration;

/**
 * When a batch is run: as soon as it holds {@code maxBatch} images, or when its oldest image has
 * waited {@code maxDelay}.
 */
public record BatchSettings(int maxBatch, Duration maxDelay) {

    public static final int DEFAULT_MAX_BATCH = 256;
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMillis(20);

    public BatchSettings {
        if (maxBatch < 1 || maxBatch > 65536) {
            throw new IllegalArgumentException("max-batch must be in [1, 65536]: " + maxBatch);
        }
        if (maxDelay.isNegative() || maxDelay.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("max-delay must be in [0, 1 min]: " + maxDelay.toMillis() + " ms");
        }
    }

    public static BatchSettings defaults() {
        return new BatchSettings(DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY);
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
