package dev.osprey.trainer.trigger;

/** Where triggers go: the {@link RetrainScheduler}, or a fake in tests. */
@FunctionalInterface
public interface TriggerSink {

    /** Asks for a run; says what became of the request. */
    Submission submit(TriggerRequest request);

    /** What became of a trigger. */
    enum Submission {
        /** Nothing was going on: a run starts after the coalescing delay. */
        SCHEDULED,
        /** A run was about to start: the trigger joined it. */
        MERGED,
        /** A run is going on: one more run follows it. */
        QUEUED,
        /** A run is going on and another is already queued: the trigger joined the queued one. */
        COALESCED,
        /** The trainer is shutting down. */
        CLOSED
    }
}
