package dev.osprey.core.topic;

import java.util.Map;
import java.util.Objects;

/** A topic Osprey creates when it is missing: its name, partition count and topic configs. */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {

    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (partitions <= 0) {
            throw new IllegalArgumentException("partitions must be positive: " + partitions);
        }
        configs = Map.copyOf(configs);
    }
}
