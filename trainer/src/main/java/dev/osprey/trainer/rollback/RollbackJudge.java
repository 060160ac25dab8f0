package dev.osprey.trainer.rollback;

import dev.osprey.trainer.live.VersionStats;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether a newly swapped-in version is worse, on live evidence, than the version it
 * replaced, by enough to roll it back.
 *
 * <p>The test is a one-sided <b>two-proportion z-test</b> on the two versions' live accuracies
 * (pooled variance), not McNemar's paired test: after a swap the two versions scored different
 * images, so there are no pairs. A rollback needs all of: at least {@code minImages} labelled
 * outcomes for each version; the new version's accuracy below the old one's by more than
 * {@code threshold}; and the difference significant at {@code alpha} (H0: the new version is at
 * least as accurate). The test is repeated as evidence grows, which makes {@code alpha} nominal;
 * the threshold keeps the rule conservative. The images each version saw are assumed to come from
 * the same stream; a shift in the incoming data right at the swap would be blamed on the model.
 */
public final class RollbackJudge {

    /** The name put on events. */
    public static final String TEST = "two-proportion z-test, one-sided, pooled variance";

    private final double threshold;
    private final int minImages;
    private final double alpha;

    /**
     * @param threshold roll back when the new version is worse by more than this (accuracy points, 0..1)
     * @param minImages labelled outcomes each version needs before it is judged
     * @param alpha     significance level of the one-sided test
     */
    public RollbackJudge(double threshold, int minImages, double alpha) {
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("--rollback-threshold must be in [0, 1): " + threshold);
        }
        if (minImages < 1) {
            throw new IllegalArgumentException("--rollback-min-images must be >= 1: " + minImages);
        }
        if (!(alpha > 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("rollback alpha must be in (0, 0.5): " + alpha);
        }
        this.threshold = threshold;
        this.minImages = minImages;
        this.alpha = alpha;
    }

    /** The evidence of one comparison. */
    public record Evidence(int previousVersion, long previousOutcomes, long previousCorrect, int currentVersion,
                           long currentOutcomes, long currentCorrect, double z, double pValue, double threshold,
                           double alpha) {

        public double previousAccuracy() {
            return (double) previousCorrect / previousOutcomes;
        }

        public double currentAccuracy() {
            return (double) currentCorrect / currentOutcomes;
        }

        /** For the {@code rolled-back} event's details. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("test", TEST);
            m.put("previousVersion", previousVersion);
            m.put("previousOutcomes", previousOutcomes);
            m.put("previousAccuracy", previousAccuracy());
            m.put("currentVersion", currentVersion);
            m.put("currentOutcomes", currentOutcomes);
            m.put("currentAccuracy", currentAccuracy());
            m.put("z", z);
            m.put("pValue", pValue);
            m.put("threshold", threshold);
            m.put("alpha", alpha);
            return m;
        }

        public String describe() {
            return String.format(Locale.ROOT, "live accuracy of v%d %.4f over %d images vs v%d %.4f over %d: "
                            + "worse by %.4f (more than %.4f), z = %.2f, one-sided p = %.2g (< %.2g)",
                    currentVersion, currentAccuracy(), currentOutcomes, previousVersion, previousAccuracy(),
                    previousOutcomes, previousAccuracy() - currentAccuracy(), threshold, z, pValue, alpha);
        }
    }

    public int minImages() {
        return minImages;
    }

    /** The evidence for rolling {@code current} back to {@code previous}, or empty when it does not hold. */
    public Optional<Evidence> judge(VersionStats previous, VersionStats current) {
        long n0 = previous.outcomes();
        long k0 = previous.correct();
        long n1 = current.outcomes();
        long k1 = current.correct();
        if (n0 < minImages || n1 < minImages) {
            return Optional.empty();
        }
        double p0 = (double) k0 / n0;
        double p1 = (double) k1 / n1;
        if (p0 - p1 <= threshold) {
            return Optional.empty();
        }
        double pooled = (double) (k0 + k1) / (n0 + n1);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / n0 + 1.0 / n1));
        double z = se == 0 ? Double.POSITIVE_INFINITY : (p0 - p1) / se;
        double p = upperTail(z);
        if (p >= alpha) {
            return Optional.empty();
        }
        return Optional.of(new Evidence(previous.version(), n0, k0, current.version(), n1, k1, z, p, threshold,
                alpha));
    }

    /** P(Z > z) for a standard normal Z. */
    public static double upperTail(double z) {
        if (z == Double.POSITIVE_INFINITY) {
            return 0;
        }
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    /**
     * The complementary error function: the Chebyshev fit of Numerical Recipes' {@code erfcc}, off by
     * less than 1e-6, ample for a p-value.
     */
    private static double erfc(double x) {
        double t = 1 / (1 + 0.5 * Math.abs(x));
        double ans = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851513
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2 - ans;
    }
}
