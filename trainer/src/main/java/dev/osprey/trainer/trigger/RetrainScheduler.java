package dev.osprey.trainer.trigger;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs retraining on one thread, one run at a time, however many triggers arrive.
 *
 * <p>A first trigger schedules a run after a short coalescing delay; triggers in that delay join
 * it. A trigger during a run sets the one "pending" request (merging into it if it is already set),
 * so a burst of triggers during a run makes exactly one more run, never a queue of them.
 */
public final class RetrainScheduler implements TriggerSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RetrainScheduler.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(60);

    /** Where the scheduler stands, for {@code GET /status}. */
    public record State(boolean scheduled, boolean running, boolean pending, long runsFinished) {
    }

    private final Consumer<TriggerRequest> runner;
    private final Duration coalesceDelay;
    private final ScheduledExecutorService executor;

    private TriggerRequest scheduled;
    private TriggerRequest pending;
    private boolean running;
    private boolean closed;
    private long runsFinished;

    /**
     * @param runner        does one run; it reports its own outcome, and anything it throws is only logged
     * @param coalesceDelay how long a first trigger waits for others
     */
    public RetrainScheduler(Consumer<TriggerRequest> runner, Duration coalesceDelay) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.coalesceDelay = Objects.requireNonNull(coalesceDelay, "coalesceDelay");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "osprey-trainer-run");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized Submission submit(TriggerRequest request) {
        Objects.requireNonNull(request, "request");
        Submission s;
        if (closed) {
            s = Submission.CLOSED;
        } else if (running) {
            s = pending == null ? Submission.QUEUED : Submission.COALESCED;
            pending = pending == null ? request : pending.merge(request);
        } else if (scheduled != null) {
            scheduled = scheduled.merge(request);
            s = Submission.MERGED;
        } else {
            scheduled = request;
            executor.schedule(this::runScheduled, coalesceDelay.toNanos(), TimeUnit.NANOSECONDS);
            s = Submission.SCHEDULED;
        }
        LOG.info("retrain trigger {} ({}): {}", request.source().id(), request.describe(), s);
        return s;
    }

    public synchronized State state() {
        return new State(scheduled != null, running, pending != null, runsFinished);
    }

    private void runScheduled() {
        TriggerRequest next;
        synchronized (this) {
            next = scheduled;
            scheduled = null;
            if (next == null || closed) {
                return;
            }
            running = true;
        }
        while (next != null) {
            boolean threwError = true;
            try {
                runner.accept(next);
                threwError = false;
            } catch (RuntimeException e) {
                threwError = false;
                LOG.error("retraining run ({}) failed", next.source().id(), e);
            } catch (Error e) {
                // The executor's future would swallow it unseen; it still ends this task (no run is
                // started on a JVM that just ran out of memory), and the finally frees later triggers.
                LOG.error("retraining run ({}) failed with an error; a pending trigger is dropped",
                        next.source().id(), e);
                throw e;
            } finally {
                // In a finally: an Error left `running` set would turn every later trigger into a
                // pending request that no run ever takes.
                synchronized (this) {
                    runsFinished++;
                    next = threwError || closed || Thread.currentThread().isInterrupted() ? null : pending;
                    pending = null;
                    running = next != null;
                }
            }
        }
    }

    /** {@link #close(Duration)} without grace: a run in flight is interrupted at once. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Refuses new triggers and drops a scheduled or pending run; lets a run in flight go on for up
     * to {@code grace}, then interrupts it (training stops after its batch and publishes nothing)
     * and waits for it to end.
     */
    public void close(Duration grace) {
        synchronized (this) {
            closed = true;
            scheduled = null;
            pending = null;
        }
        executor.shutdown();
        try {
            if (!grace.isZero() && executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            executor.shutdownNow();
            if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("the retraining run did not stop within {} s", CLOSE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
