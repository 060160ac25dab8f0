package dev.osprey.trainer.feedback;

import java.util.List;

/** All feedback examples kept so far: the store of a running trainer, or a list in tests. */
@FunctionalInterface
public interface ExampleSource {

    /**
     * A snapshot of every stored example.
     *
     * @throws IllegalStateException when the store cannot be read (the trainer is rebalancing or closing)
     */
    List<StoredExample> all();
}
