package dev.osprey.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.Utils;

/**
 * The images of a source that never go to {@code feedback}, so that accuracy measured on them is
 * accuracy on images no model version was trained on.
 *
 * <p>A hash of the image's id stem ({@code test-00042}) decides, not a coin toss: the same image is
 * held out on every pass of a looping run, so a second pass never scores an image that an earlier
 * pass fed back. Whoever reads the predictions applies the same rule to the prediction id with
 * {@link #containsId(String, String)}.
 *
 * @param share the share of images held out, in [0, 1]
 */
public record HeldOutImages(double share) {

    /** The suffix {@link ImagePublisher} gives ids after the first pass over a source. */
    private static final Pattern PASS_SUFFIX = Pattern.compile("-p\\d+$");
    private static final int BUCKETS = 10_000;

    public HeldOutImages {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("held-out share must be between 0 and 1, not " + share);
        }
    }

    /** No image held out. */
    public static HeldOutImages none() {
        return new HeldOutImages(0);
    }

    /** True when the image with this id stem is held out of feedback. */
    public boolean contains(String idStem) {
        if (share == 0) {
            return false;
        }
        int bucket = Utils.toPositive(Utils.murmur2(idStem.getBytes(StandardCharsets.UTF_8))) % BUCKETS;
        return bucket < share * BUCKETS;
    }

    /**
     * True when a record id published by a run with {@code idPrefix} names a held-out image; false
     * for an id that run did not publish.
     */
    public boolean containsId(String id, String idPrefix) {
        return stem(id, idPrefix).map(this::contains).orElse(false);
    }

    /** The id stem of a record id published with {@code idPrefix}, without the pass suffix. */
    static Optional<String> stem(String id, String idPrefix) {
        if (id == null || !id.startsWith(idPrefix)) {
            return Optional.empty();
        }
        return Optional.of(PASS_SUFFIX.matcher(id.substring(idPrefix.length())).replaceFirst(""));
    }

    /** The record id of an image on a given pass (0 is the first) over the source. */
    static String id(String idPrefix, String idStem, int pass) {
        // Each pass over the source needs fresh ids: predictions and feedback join on them.
        return pass == 0 ? idPrefix + idStem : idPrefix + idStem + "-p" + pass;
    }
}
