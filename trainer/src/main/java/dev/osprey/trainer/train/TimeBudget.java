package dev.osprey.trainer.train;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The wall time a run may take, counted from when it was made: it says when to stop a pass, and how
 * many epochs still fit at the pace of those done so far (evaluations included).
 */
final class TimeBudget {

    private final long limitNanos;
    private final LongSupplier clock;
    private final long startNanos;

    /** A budget of {@code limit} starting now, on {@link System#nanoTime()}. */
    TimeBudget(Duration limit) {
        this(limit, System::nanoTime);
    }

    /** A budget of {@code limit} on the given nanosecond clock, starting at its current reading. */
    TimeBudget(Duration limit, LongSupplier clock) {
        this.limitNanos = Objects.requireNonNull(limit, "limit").toNanos();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startNanos = clock.getAsLong();
    }

    /** The clock's current reading, so callers time their own intervals on the same clock. */
    long now() {
        return clock.getAsLong();
    }

    Duration elapsed() {
        return Duration.ofNanos(now() - startNanos);
    }

    /** Whether the budget is spent at clock reading {@code nanos}. */
    boolean spentAt(long nanos) {
        return nanos - startNanos > limitNanos;
    }

    /**
     * How many epochs to plan in all after {@code done} epochs: {@code planned}, or fewer if the rest
     * will not fit at the average pace so far. Never fewer than {@code done}.
     */
    int epochsThatFit(int done, int planned) {
        long elapsed = now() - startNanos;
        double perEpoch = (double) elapsed / done;
        long left = limitNanos - elapsed;
        double fit = Math.max(0, Math.floor(left / perEpoch));
        return (int) Math.min(planned, done + fit);
    }
}
