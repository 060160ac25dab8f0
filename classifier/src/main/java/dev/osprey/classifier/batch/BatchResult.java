package dev.osprey.classifier.batch;

import dev.osprey.core.model.ModelManifest;
import java.util.List;

/**
 * The result of one forward pass: one outcome per image, in input order, and the model that made them.
 */
public record BatchResult(ModelManifest model, List<Outcome> outcomes) {

    public BatchResult {
        outcomes = List.copyOf(outcomes);
    }
}
