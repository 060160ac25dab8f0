package dev.osprey.ingest;

import java.util.Locale;

/** Which labelled images the simulated labeller of an ingest run sends back to {@code feedback}. */
public enum FeedbackStrategy {
    /** A seeded random share of the labelled images, chosen as they are published. */
    RANDOM,
    /**
     * The images the classifier asks about on {@code label-requests} (its least confident ones),
     * within the same budget: at most the feedback share times the images published so far.
     */
    UNCERTAIN;

    /** The command-line name: {@code random} or {@code uncertain}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static FeedbackStrategy parse(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "random" -> RANDOM;
            case "uncertain" -> UNCERTAIN;
            default -> throw new IllegalArgumentException("feedback strategy must be random or uncertain, not '"
                    + s + "'");
        };
    }
}
