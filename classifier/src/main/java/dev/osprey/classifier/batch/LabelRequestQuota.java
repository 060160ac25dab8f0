package dev.osprey.classifier.batch;

import java.util.Arrays;

/**
 * Which predictions of a batch become label requests: the ones with the smallest margin (best
 * class minus second best), as many as a token bucket allows. The bucket fills at {@code perSecond}
 * and holds at most one second's worth, so a quiet spell cannot save up a burst larger than that.
 * One per input partition; it may be called from any worker thread, one batch at a time.
 */
final class LabelRequestQuota {

    private final double perSecond;
    private double tokens;
    private long lastMs = Long.MIN_VALUE;

    /** @param perSecond requests a second at most; 0 never asks */
    LabelRequestQuota(double perSecond) {
        if (!(perSecond >= 0)) {
            throw new IllegalArgumentException("label requests per second must be >= 0: " + perSecond);
        }
        this.perSecond = perSecond;
    }

    /**
     * The rows to ask about, of {@code n} with these margins, smallest margin first (of equal ones,
     * the earlier row); empty when the bucket is empty.
     */
    synchronized int[] choose(double[] margins, int n, long nowMs) {
        if (perSecond == 0 || n == 0) {
            return new int[0];
        }
        if (lastMs == Long.MIN_VALUE) {
            tokens = perSecond;
        } else if (nowMs > lastMs) {
            tokens = Math.min(perSecond, tokens + (nowMs - lastMs) * perSecond / 1000.0);
        }
        lastMs = Math.max(lastMs, nowMs);
        int k = (int) Math.min(n, Math.floor(tokens));
        if (k == 0) {
            return new int[0];
        }
        tokens -= k;
        Integer[] rows = new Integer[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        Arrays.sort(rows, (a, b) -> Double.compare(margins[a], margins[b]));
        int[] chosen = new int[k];
        for (int i = 0; i < k; i++) {
            chosen[i] = rows[i];
        }
        return chosen;
    }
}
