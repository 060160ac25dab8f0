package dev.osprey.trainer.shadow;

import dev.osprey.trainer.rollback.RollbackJudge;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether a challenger scored in shadow beats the champion on the same live images, by
 * <b>McNemar's test</b>: each labelled image both scored is a pair, and only the discordant pairs
 * count, {@code b} (the champion right, the challenger wrong) and {@code c} (the reverse). With
 * the continuity correction, {@code z = (|c - b| - 1) / sqrt(b + c)}, one-sided.
 *
 * <p>After at least {@code minPairs} pairs: <b>promote</b> when {@code c > b} at significance
 * {@code alpha}; <b>retire</b> when {@code b > c} at {@code alpha} (the challenger is worse), or
 * when {@code maxPairs} pairs gave no verdict (not shown better). The test is repeated as pairs
 * come, which makes {@code alpha} nominal; {@code maxPairs} bounds how long that goes on.
 */
public final class ShadowJudge {

    /** The name put on events. */
    public static final String TEST = "McNemar, continuity-corrected, one-sided";

    /** What the evidence says. */
    public enum Verdict {
        PROMOTE, RETIRE
    }

    /** The evidence of one decision. */
    public record Evidence(Verdict verdict, int championVersion, int challengerVersion, long pairs,
                           long championOnly, long challengerOnly, long bothRight, double z, double pValue,
                           double alpha, String reason) {

        public double championAccuracy() {
            return pairs == 0 ? 0 : (double) (bothRight + championOnly) / pairs;
        }

        public double challengerAccuracy() {
            return pairs == 0 ? 0 : (double) (bothRight + challengerOnly) / pairs;
        }

        /** For the {@code promoted} or {@code retired} event's details. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("test", TEST);
            m.put("championVersion", championVersion);
            m.put("challengerVersion", challengerVersion);
            m.put("pairs", pairs);
            m.put("championOnlyRight", championOnly);
            m.put("challengerOnlyRight", challengerOnly);
            m.put("bothRight", bothRight);
            m.put("championAccuracy", championAccuracy());
            m.put("challengerAccuracy", challengerAccuracy());
            m.put("z", z);
            m.put("pValue", pValue);
            m.put("alpha", alpha);
            return m;
        }

        public String describe() {
            return String.format(Locale.ROOT, "%s: over %d labelled images both scored, challenger v%d %.4f vs "
                            + "champion v%d %.4f; only the challenger right %d, only the champion %d; z = %.2f, "
                            + "one-sided p = %.2g (alpha %.2g)", reason, pairs, challengerVersion,
                    challengerAccuracy(), championVersion, championAccuracy(), challengerOnly, championOnly, z,
                    pValue, alpha);
        }
    }

    private final int minPairs;
    private final int maxPairs;
    private final double alpha;

    /**
     * @param minPairs labelled pairs before any verdict
     * @param maxPairs pairs after which a challenger not shown better is retired
     * @param alpha    significance level of each one-sided test
     */
    public ShadowJudge(int minPairs, int maxPairs, double alpha) {
        if (minPairs < 1) {
            throw new IllegalArgumentException("--shadow-min-images must be >= 1: " + minPairs);
        }
        if (maxPairs < minPairs) {
            throw new IllegalArgumentException("--shadow-max-images (" + maxPairs + ") must be >= --shadow-min-images ("
                    + minPairs + ")");
        }
        if (!(alpha > 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("shadow alpha must be in (0, 0.5): " + alpha);
        }
        this.minPairs = minPairs;
        this.maxPairs = maxPairs;
        this.alpha = alpha;
    }

    public int minPairs() {
        return minPairs;
    }

    /**
     * The verdict on the pairs so far, or empty while the evidence is not enough.
     *
     * @param championOnly   pairs where only the champion was right ({@code b})
     * @param challengerOnly pairs where only the challenger was right ({@code c})
     * @param bothRight      pairs where both were right
     * @param pairs          all pairs (both wrong included)
     */
    public Optional<Evidence> judge(int championVersion, int challengerVersion, long championOnly,
                                    long challengerOnly, long bothRight, long pairs) {
        if (pairs < minPairs) {
            return Optional.empty();
        }
        long discordant = championOnly + challengerOnly;
        double z = discordant == 0 ? 0 : (Math.abs(challengerOnly - championOnly) - 1.0) / Math.sqrt(discordant);
        z = Math.max(0, z);
        double p = RollbackJudge.upperTail(z);
        if (p < alpha && challengerOnly > championOnly) {
            return Optional.of(new Evidence(Verdict.PROMOTE, championVersion, challengerVersion, pairs, championOnly,
                    challengerOnly, bothRight, z, p, alpha, "better"));
        }
        if (p < alpha && championOnly > challengerOnly) {
            return Optional.of(new Evidence(Verdict.RETIRE, championVersion, challengerVersion, pairs, championOnly,
                    challengerOnly, bothRight, z, p, alpha, "worse"));
        }
        if (pairs >= maxPairs) {
            return Optional.of(new Evidence(Verdict.RETIRE, championVersion, challengerVersion, pairs, championOnly,
                    challengerOnly, bothRight, z, p, alpha, "not shown better within " + maxPairs + " images"));
        }
        return Optional.empty();
    }
}
