package dev.osprey.trainer.rollback;

/**
 * When the trainer rolls a swapped-in version back by itself (see {@link RollbackJudge}).
 *
 * @param enabled   whether it does at all ({@code --no-rollback} turns it off)
 * @param threshold roll back when the new version's live accuracy is below the previous one's by
 *                  more than this ({@code --rollback-threshold})
 * @param minImages labelled live images each of the two versions needs first ({@code --rollback-min-images})
 * @param alpha     significance level of the one-sided two-proportion z-test
 */
public record RollbackSettings(boolean enabled, double threshold, int minImages, double alpha) {

    public static final double DEFAULT_THRESHOLD = 0.05;
    public static final int DEFAULT_MIN_IMAGES = 200;
    public static final double DEFAULT_ALPHA = 0.01;

    public RollbackSettings {
        // Validated by the judge's constructor, which says which flag is wrong.
        new RollbackJudge(threshold, minImages, alpha);
    }

    public static RollbackSettings defaults() {
        return new RollbackSettings(true, DEFAULT_THRESHOLD, DEFAULT_MIN_IMAGES, DEFAULT_ALPHA);
    }

    public static RollbackSettings off() {
        return new RollbackSettings(false, DEFAULT_THRESHOLD, DEFAULT_MIN_IMAGES, DEFAULT_ALPHA);
    }

    public RollbackJudge judge() {
        return new RollbackJudge(threshold, minImages, alpha);
    }
}
