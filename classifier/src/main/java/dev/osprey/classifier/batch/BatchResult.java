package dev.osprey.classifier.batch;

import dev.osprey.core.model.ModelManifest;
import java.util.List;

/**
 * The result of one forward pass: one outcome per image, in input order, and the model that made
 * them; and, while a challenger runs in shadow, its outcomes for the same images (else null).
 */
public record BatchResult(ModelManifest model, List<Outcome> outcomes, ModelManifest challenger,
                          List<Outcome> challengerOutcomes) {

    public BatchResult {
        outcomes = List.copyOf(outcomes);
        if ((challenger == null) != (challengerOutcomes == null)) {
            throw new IllegalArgumentException("a challenger needs its outcomes, and outcomes their challenger");
        }
        if (challengerOutcomes != null) {
            challengerOutcomes = List.copyOf(challengerOutcomes);
            if (challengerOutcomes.size() != outcomes.size()) {
                throw new IllegalArgumentException("the challenger has " + challengerOutcomes.size()
                        + " outcomes for " + outcomes.size() + " images");
            }
        }
    }

    /** A result without a challenger. */
    public BatchResult(ModelManifest model, List<Outcome> outcomes) {
        this(model, outcomes, null, null);
    }
}
