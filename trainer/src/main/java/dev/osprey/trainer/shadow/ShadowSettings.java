package dev.osprey.trainer.shadow;

/**
 * How a candidate that passes the offline gate reaches the classifiers ({@code --promotion}):
 * {@code offline} publishes it as the new champion at once; {@code shadow} publishes it as a
 * challenger, scored beside the champion on live images, and promotes it only on live evidence
 * ({@link ShadowJudge}).
 *
 * @param shadow    whether candidates go through shadow scoring
 * @param minImages labelled live images both must have scored before a verdict ({@code --shadow-min-images})
 * @param maxImages images after which a challenger not shown better is retired ({@code --shadow-max-images})
 * @param alpha     significance level of McNemar's test
 */
public record ShadowSettings(boolean shadow, int minImages, int maxImages, double alpha) {

    public static final int DEFAULT_MIN_IMAGES = 300;
    public static final int DEFAULT_MAX_IMAGES = 3000;
    public static final double DEFAULT_ALPHA = 0.01;

    public ShadowSettings {
        new ShadowJudge(minImages, maxImages, alpha); // says which flag is wrong
    }

    /** Today's behaviour: the gate's verdict publishes. */
    public static ShadowSettings offline() {
        return new ShadowSettings(false, DEFAULT_MIN_IMAGES, DEFAULT_MAX_IMAGES, DEFAULT_ALPHA);
    }

    /** Through shadow scoring, with the default evidence. */
    public static ShadowSettings shadowScoring() {
        return new ShadowSettings(true, DEFAULT_MIN_IMAGES, DEFAULT_MAX_IMAGES, DEFAULT_ALPHA);
    }

    public ShadowSettings withImages(int min, int max) {
        return new ShadowSettings(shadow, min, max, alpha);
    }

    public ShadowJudge judge() {
        return new ShadowJudge(minImages, maxImages, alpha);
    }
}
