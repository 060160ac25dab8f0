package dev.osprey.ingest;

import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.dataset.Split;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one ingest run publishes, and how fast. Validated once, when built.
 *
 * @param source        a dataset directory or file, an image file, or {@code -} for one image on stdin
 * @param split         which split of a dataset to read
 * @param count         how many records to publish; {@code 0} means the whole source once, or
 *                      without end when {@code loop} is set
 * @param rate          images per second, paced evenly; {@code 0} means as fast as Kafka takes them
 * @param shuffle       publish the images in a random order (a new order on each pass)
 * @param seed          seeds the shuffle and the choice of feedback copies, so a run can be repeated
 * @param loop          start again at the end of the source
 * @param encoding      how images are written into record values
 * @param feedbackShare share of labelled images, in [0, 1], also sent to {@code feedback}
 * @param feedbackDelay how long after the image its feedback copy is sent, as a human labeller would
 * @param idPrefix      put before every image id; ids are unique within a run, so a prefix per run
 *                      keeps them unique across runs
 * @param format        what the source is, when its contents should not decide (empty: detect)
 * @param heldOut       images never sent to {@code feedback}; the feedback copies are drawn from the
 *                      others, more often, so that {@code feedbackShare} of all images still come back
 * @param feedbackStrategy which images go to {@code feedback}: a random share, or the ones the
 *                      classifier asks about on {@code label-requests}, at most {@code feedbackShare}
 *                      times the images published so far
 */
public record IngestOptions(String source, Split split, long count, double rate, boolean shuffle, long seed,
                            boolean loop, ImageEncoding encoding, double feedbackShare, Duration feedbackDelay,
                            String idPrefix, Optional<DatasetKind> format, HeldOutImages heldOut,
                            FeedbackStrategy feedbackStrategy) {

    /** The source name that means standard input. */
    public static final String STDIN = "-";

    private static final Pattern ID_PREFIX = Pattern.compile("[\\p{Alnum}._:/-]*");

    public IngestOptions {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("source must name a dataset directory, an image file or '-' for stdin");
        }
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(encoding, "encoding");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(feedbackDelay, "feedbackDelay");
        Objects.requireNonNull(heldOut, "heldOut");
        Objects.requireNonNull(feedbackStrategy, "feedbackStrategy");
        idPrefix = idPrefix == null ? "" : idPrefix;
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0 (0 = the whole source), not " + count);
        }
        if (!Double.isFinite(rate) || rate < 0) {
            throw new IllegalArgumentException("rate must be >= 0 images/s (0 = unlimited), not " + rate);
        }
        if (!(feedbackShare >= 0 && feedbackShare <= 1)) {
            throw new IllegalArgumentException("feedback share must be between 0 and 1, not " + feedbackShare);
        }
        if (feedbackShare > 0 && feedbackShare > 1 - heldOut.share()) {
            throw new IllegalArgumentException("feedback share " + feedbackShare + " is more than the "
                    + (1 - heldOut.share()) + " of images left when " + heldOut.share() + " are held out");
        }
        if (feedbackStrategy == FeedbackStrategy.UNCERTAIN && feedbackShare == 0) {
            throw new IllegalArgumentException("the uncertain feedback strategy needs a feedback share above 0 "
                    + "(its labelling budget)");
        }
        if (feedbackDelay.isNegative()) {
            throw new IllegalArgumentException("feedback delay must not be negative, not " + feedbackDelay);
        }
        if (!ID_PREFIX.matcher(idPrefix).matches()) {
            throw new IllegalArgumentException("id prefix '" + idPrefix
                    + "' may contain only letters, digits and . _ : / -");
        }
        if (isStdin(source) && format.isPresent() && format.get() != DatasetKind.IMAGE_FILE) {
            throw new IllegalArgumentException("stdin ('-') carries one image, not a " + kindName(format.get())
                    + " dataset");
        }
    }

    /** Options with the defaults: the test split, once, unpaced, in order, raw pixels, no feedback. */
    public static Builder builder(String source) {
        return new Builder(source);
    }

    /** True when the source is standard input. */
    public boolean stdin() {
        return isStdin(source);
    }

    /** The chance that an image not held out is sent to {@code feedback}. */
    public double feedbackChance() {
        return feedbackShare == 0 ? 0 : Math.min(1, feedbackShare / (1 - heldOut.share()));
    }

    /** True when the run has no end of its own (it loops without a count). */
    public boolean endless() {
        return loop && count == 0;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "source=%s split=%s count=%d rate=%s shuffle=%s seed=%d loop=%s "
                        + "encoding=%s feedback=%s strategy=%s delay=%s prefix='%s' format=%s held-out=%s", source,
                split.id(),
                count, rate == 0 ? "unlimited" : rate + "/s", shuffle, seed, loop,
                encoding.name().toLowerCase(Locale.ROOT), feedbackShare, feedbackStrategy.id(), feedbackDelay, idPrefix,
                format.map(IngestOptions::kindName).orElse("auto"), heldOut.share());
    }

    private static String kindName(DatasetKind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static boolean isStdin(String source) {
        return STDIN.equals(source.trim());
    }

    /** Builds {@link IngestOptions}; every setter returns the builder. */
    public static final class Builder {
        private final String source;
        private Split split = Split.TEST;
        private long count;
        private double rate;
        private boolean shuffle;
        private long seed = 42;
        private boolean loop;
        private ImageEncoding encoding = ImageEncoding.AUTO;
        private double feedbackShare;
        private Duration feedbackDelay = Duration.ZERO;
        private String idPrefix = "";
        private Optional<DatasetKind> format = Optional.empty();
        private HeldOutImages heldOut = HeldOutImages.none();
        private FeedbackStrategy feedbackStrategy = FeedbackStrategy.RANDOM;

        private Builder(String source) {
            this.source = source;
        }

        public Builder split(Split value) {
            split = value;
            return this;
        }

        public Builder count(long value) {
            count = value;
            return this;
        }

        public Builder rate(double imagesPerSecond) {
            rate = imagesPerSecond;
            return this;
        }

        public Builder shuffle(boolean value) {
            shuffle = value;
            return this;
        }

        public Builder seed(long value) {
            seed = value;
            return this;
        }

        public Builder loop(boolean value) {
            loop = value;
            return this;
        }

        public Builder encoding(ImageEncoding value) {
            encoding = value;
            return this;
        }

        public Builder feedback(double share, Duration delay) {
            feedbackShare = share;
            feedbackDelay = delay;
            return this;
        }

        public Builder idPrefix(String value) {
            idPrefix = value;
            return this;
        }

        /** Reads the source as {@code kind} instead of detecting it; {@code null} detects. */
        public Builder format(DatasetKind kind) {
            format = Optional.ofNullable(kind);
            return this;
        }

        /** Keeps these images out of feedback (default: none). */
        public Builder heldOut(HeldOutImages value) {
            heldOut = value;
            return this;
        }

        /** How the feedback share is spent (default: {@link FeedbackStrategy#RANDOM}). */
        public Builder feedbackStrategy(FeedbackStrategy value) {
            feedbackStrategy = value;
            return this;
        }

        /** @throws IllegalArgumentException with a message naming the bad option */
        public IngestOptions build() {
            return new IngestOptions(source, split, count, rate, shuffle, seed, loop, encoding, feedbackShare,
                    feedbackDelay, idPrefix, format, heldOut, feedbackStrategy);
        }
    }
}
