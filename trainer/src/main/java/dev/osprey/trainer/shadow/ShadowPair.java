package dev.osprey.trainer.shadow;

import dev.osprey.core.format.ShadowPrediction;

/**
 * One labelled image both versions scored: a {@code predictions-shadow} record joined with the
 * image's feedback label.
 */
public record ShadowPair(String model, int championVersion, int challengerVersion, int label,
                         int championClass, int challengerClass) {

    public static ShadowPair of(ShadowPrediction p, int label) {
        return new ShadowPair(p.model(), p.championVersion(), p.challengerVersion(), label, p.championClass(),
                p.challengerClass());
    }
}
