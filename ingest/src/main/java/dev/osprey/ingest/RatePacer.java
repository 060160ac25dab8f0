package dev.osprey.ingest;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Spaces sends evenly at a fixed rate: each send gets the next slot on a clock that advances one
 * interval per send. A sender that falls behind (a full producer buffer, a GC pause) may catch up
 * by only a little, so a stall is never followed by a burst.
 */
final class RatePacer {

    private static final long MAX_CATCH_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final long intervalNanos;
    private final long catchUpNanos;
    private long nextSlot = Long.MIN_VALUE;

    /** @param ratePerSecond sends per second; 0 means no pacing */
    RatePacer(double ratePerSecond) {
        this.intervalNanos = ratePerSecond <= 0 ? 0 : Math.max(1, Math.round(1e9 / ratePerSecond));
        this.catchUpNanos = Math.min(intervalNanos, MAX_CATCH_UP_NANOS);
    }

    /** Waits for the next slot. */
    void await() throws InterruptedException {
        if (intervalNanos == 0) {
            return;
        }
        long now = System.nanoTime();
        long slot = nextSlot == Long.MIN_VALUE ? now : Math.max(nextSlot, now - catchUpNanos);
        nextSlot = slot + intervalNanos;
        for (long wait = slot - now; wait > 0; wait = slot - System.nanoTime()) {
            LockSupport.parkNanos(this, wait);
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while pacing sends");
            }
        }
    }
}
