package dev.osprey.trainer.trigger;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs retraining on one thread, one run at a time, however many triggers arrive, at a pace a
 * person can follow.
 *
 * <p>A first trigger schedules a run after a short coalescing delay; triggers in that delay join
 * it. A trigger during a run sets the one "pending" request (merging into it if it is already set),
 * so a burst of triggers during a run makes exactly one more run, never a queue of them.
 *
 * <p>Two rules keep runs apart: a run starts at least {@code minInterval} after the previous one
 * started (a trigger that comes sooner waits for it), and a run asked for only by the trainer
 * itself (every N feedback, live accuracy) is skipped when no feedback was stored since the last
 * run started, since it would train on the same examples again. A run a person asked for (HTTP,
 * {@code osprey retrain}, the {@code retrain} topic) waits out the interval too, but always runs.
 */
public final class RetrainScheduler implements TriggerSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RetrainScheduler.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(60);

    /**
     * Where the scheduler stands, for {@code GET /status}.
     *
     * @param nextRun     when the scheduled run starts, if one is scheduled
     * @param runsSkipped automatic triggers dropped because no feedback came since the last run
     */
    public record State(boolean scheduled, boolean running, boolean pending, long runsFinished, long runsSkipped,
                        Optional<Instant> nextRun) {
    }

    private final Consumer<TriggerRequest> runner;
    private final Duration coalesceDelay;
    private final Duration minInterval;
    private final LongSupplier feedbackStored;
    private final ScheduledExecutorService executor;

    private TriggerRequest scheduled;
    private boolean scheduledAsked;
    private Instant scheduledAt;
    private TriggerRequest pending;
    private boolean pendingAsked;
    private boolean running;
    private boolean closed;
    private long runsFinished;
    private long runsSkipped;
    /** When the last run started, on the monotonic clock; empty before the first. */
    private OptionalLong lastStartNanos = OptionalLong.empty();
    private long feedbackAtLastStart;

    /**
     * A scheduler without spacing between runs (tests, embedding programs that pace themselves).
     *
     * @param runner        does one run; it reports its own outcome, and anything it throws is only logged
     * @param coalesceDelay how long a first trigger waits for others
     */
    public RetrainScheduler(Consumer<TriggerRequest> runner, Duration coalesceDelay) {
        this(runner, coalesceDelay, Duration.ZERO, () -> Long.MAX_VALUE);
    }

    /**
     * @param runner         does one run; it reports its own outcome, and anything it throws is only logged
     * @param coalesceDelay  how long a first trigger waits for others
     * @param minInterval    the least time from the start of one run to the start of the next
     * @param feedbackStored how many feedback examples were stored so far; only ever grows
     */
    public RetrainScheduler(Consumer<TriggerRequest> runner, Duration coalesceDelay, Duration minInterval,
                            LongSupplier feedbackStored) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.coalesceDelay = Objects.requireNonNull(coalesceDelay, "coalesceDelay");
        this.minInterval = Objects.requireNonNull(minInterval, "minInterval");
        this.feedbackStored = Objects.requireNonNull(feedbackStored, "feedbackStored");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "osprey-trainer-run");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized Submission submit(TriggerRequest request) {
        Objects.requireNonNull(request, "request");
        boolean asked = !request.source().automatic();
        Submission s;
        if (closed) {
            s = Submission.CLOSED;
        } else if (running) {
            s = pending == null ? Submission.QUEUED : Submission.COALESCED;
            pending = pending == null ? request : pending.merge(request);
            pendingAsked |= asked;
        } else if (scheduled != null) {
            scheduled = scheduled.merge(request);
            scheduledAsked |= asked;
            s = Submission.MERGED;
        } else {
            schedule(request, asked, coalesceDelay);
            s = Submission.SCHEDULED;
        }
        if (s == Submission.SCHEDULED && scheduledAt.isAfter(Instant.now().plus(coalesceDelay).plusSeconds(1))) {
            LOG.info("retrain trigger {} ({}): scheduled for {}, {} s after the last run started (--min-retrain-interval)",
                    request.source().id(), request.describe(), scheduledAt, minInterval.toSeconds());
        } else if (s == Submission.MERGED || s == Submission.COALESCED) {
            // A busy stream raises a trigger every few seconds while a run waits: one line per run is enough.
            LOG.debug("retrain trigger {} ({}): {}", request.source().id(), request.describe(), s);
        } else {
            LOG.info("retrain trigger {} ({}): {}", request.source().id(), request.describe(), s);
        }
        return s;
    }

    public synchronized State state() {
        return new State(scheduled != null, running, pending != null, runsFinished, runsSkipped,
                Optional.ofNullable(scheduledAt));
    }

    /** Schedules {@code request} after {@code delay}, or later if the last run started less than the interval ago. */
    private void schedule(TriggerRequest request, boolean asked, Duration delay) {
        long waitNanos = delay.toNanos();
        if (lastStartNanos.isPresent()) {
            long sinceLast = System.nanoTime() - lastStartNanos.getAsLong();
            waitNanos = Math.max(waitNanos, minInterval.toNanos() - sinceLast);
        }
        scheduled = request;
        scheduledAsked = asked;
        scheduledAt = Instant.now().plusNanos(waitNanos);
        executor.schedule(this::runScheduled, waitNanos, TimeUnit.NANOSECONDS);
    }

    private void runScheduled() {
        TriggerRequest next;
        synchronized (this) {
            next = scheduled;
            boolean asked = scheduledAsked;
            scheduled = null;
            scheduledAt = null;
            if (next == null || closed) {
                return;
            }
            long feedback = feedbackStored.getAsLong();
            if (!asked && lastStartNanos.isPresent() && feedback <= feedbackAtLastStart) {
                runsSkipped++;
                LOG.info("retrain trigger {} ({}) skipped: no new feedback since the last run started",
                        next.source().id(), next.describe());
                return;
            }
            feedbackAtLastStart = feedback;
            lastStartNanos = OptionalLong.of(System.nanoTime());
            running = true;
        }
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
                running = false;
                if (pending != null && !threwError && !closed && !Thread.currentThread().isInterrupted()) {
                    // The pending run waits out the interval like any other trigger.
                    schedule(pending, pendingAsked, Duration.ZERO);
                }
                pending = null;
                pendingAsked = false;
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
            scheduledAt = null;
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
