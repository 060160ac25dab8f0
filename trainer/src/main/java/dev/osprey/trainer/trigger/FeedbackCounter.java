package dev.osprey.trainer.trigger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The every-N trigger: asks for a run each time {@code every} more examples have been stored since
 * the last time it asked. Counts since this process started; examples restored from the changelog
 * after a restart are not new.
 */
public final class FeedbackCounter {

    private final int every;
    private final TriggerSink sink;
    private final AtomicLong sinceLast = new AtomicLong();

    /** @param every examples per trigger; 0 never triggers */
    public FeedbackCounter(int every, TriggerSink sink) {
        if (every < 0) {
            throw new IllegalArgumentException("every must be >= 0: " + every);
        }
        this.every = every;
        this.sink = sink;
    }

    /** One more example was stored. */
    public void stored() {
        if (every == 0) {
            return;
        }
        long n = sinceLast.incrementAndGet();
        if (n >= every && sinceLast.compareAndSet(n, 0)) {
            sink.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, n + " new feedback examples"));
        }
    }

    /** Examples stored since the last trigger. */
    public long sinceLast() {
        return sinceLast.get();
    }
}
