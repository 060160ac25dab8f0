package dev.osprey.trainer.feedback;

import java.util.Objects;

/**
 * An example as the store holds it: under its image id.
 *
 * @param id      the image id
 * @param example the labelled image
 */
public record StoredExample(String id, LabelledExample example) {

    public StoredExample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(example, "example");
    }
}
