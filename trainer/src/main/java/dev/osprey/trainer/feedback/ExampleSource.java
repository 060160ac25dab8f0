package dev.osprey.trainer.feedback;

import java.util.List;

/** The feedback examples kept: the bounded {@link FeedbackStore} of a running trainer, or a list in tests. */
@FunctionalInterface
public interface ExampleSource {

    /**
     * A snapshot of every kept example (a new list of the store's immutable examples).
     *
     * @throws IllegalStateException when the store cannot be read (the trainer is still loading it, or closing)
     */
    List<StoredExample> all();
}
