package dev.osprey.core.model;

import dev.osprey.core.image.InputSpec;
import dev.osprey.core.topic.OspreyTopics;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * How big a model artifact may be, and the checks that keep a hostile one (a ZIP bomb, a manifest
 * that lies about its sizes, an absurd input shape) from costing more than a refusal.
 *
 * <p>Sizes are checked while inflating, before anything beyond the limit is allocated: the archive
 * is read entry by entry and every inflated byte is counted against the entry's limit, the size
 * the manifest declares, and the inflation ratio.
 */
public final class ArtifactLimits {

    /**
     * The model size limit: the most an archive on {@code models} may hold, and the most its
     * weights may inflate to. The topic's {@code max.message.bytes} is the same number.
     */
    public static final int MAX_MODEL_BYTES = OspreyTopics.MODEL_MAX_BYTES;
    /** The most {@code manifest.json} may inflate to. */
    public static final int MAX_MANIFEST_BYTES = 1 << 20;
    /**
     * The most an entry may inflate per compressed byte. Float weights barely compress (about
     * 1.1:1); a ZIP bomb inflates 1000:1.
     */
    public static final int MAX_INFLATION_RATIO = 50;
    /** The most pixels on one side of a model's input. */
    public static final int MAX_INPUT_SIDE = 1024;
    /** The most values one input image may have (channels x height x width): 3 x 512 x 512. */
    public static final int MAX_INPUT_VALUES = 3 * 512 * 512;
    /** The most classes a model may have. */
    public static final int MAX_CLASSES = 10_000;
    /** The most parameters a model may have: float32 weights that fit the model size limit. */
    public static final long MAX_PARAMETERS = MAX_MODEL_BYTES / Float.BYTES;

    // Small entries (a short manifest, a tiny test model) may compress far better than 50:1.
    private static final long RATIO_SLACK_BYTES = 64 * 1024;

    private ArtifactLimits() {
    }

    /** Refuses a manifest whose input shape or class count is beyond the limits. */
    static void checkShape(ModelManifest m) throws InvalidArtifactException {
        InputSpec in = m.input();
        if (in.height() > MAX_INPUT_SIDE || in.width() > MAX_INPUT_SIDE) {
            throw new InvalidArtifactException(m.tag() + ": input " + in + " is larger than " + MAX_INPUT_SIDE
                    + " pixels on a side");
        }
        if ((long) in.channels() * in.height() * in.width() > MAX_INPUT_VALUES) {
            throw new InvalidArtifactException(m.tag() + ": input " + in + " has more than " + MAX_INPUT_VALUES
                    + " values");
        }
        if (m.classes().size() > MAX_CLASSES) {
            throw new InvalidArtifactException(m.tag() + ": " + m.classes().size() + " classes, more than "
                    + MAX_CLASSES);
        }
    }

    /** Refuses a model with more than {@link #MAX_PARAMETERS} parameters. */
    static void checkParameters(ModelManifest m, long parameters) throws InvalidArtifactException {
        if (parameters > MAX_PARAMETERS) {
            throw new InvalidArtifactException(m.tag() + ": " + parameters + " parameters, more than "
                    + MAX_PARAMETERS);
        }
    }

    /** Counts the compressed bytes a {@code ZipInputStream} has taken from the archive. */
    static final class CountingInputStream extends FilterInputStream {

        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }

    /**
     * Reads one entry's inflated bytes into {@code out} (or counts them only, when {@code out} is
     * null), refusing as soon as they pass {@code limit} or inflate more than
     * {@link #MAX_INFLATION_RATIO} times the compressed bytes read for the entry.
     *
     * @param entry    the open entry's stream (a {@code ZipInputStream} positioned on it)
     * @param archive  the counted archive under it
     * @param limitWhy what {@code limit} is, for the message ("the limit", "what the manifest declares")
     * @return the number of inflated bytes
     */
    static long inflate(InputStream entry, String name, CountingInputStream archive, long limit, String limitWhy,
                        OutputStream out) throws IOException, InvalidArtifactException {
        long start = archive.count();
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int n = entry.read(buf); n >= 0; n = entry.read(buf)) {
            total += n;
            if (total > limit) {
                throw new InvalidArtifactException("model artifact: " + name + " inflates to more than " + limit
                        + " bytes, " + limitWhy);
            }
            long compressed = archive.count() - start;
            if (total > MAX_INFLATION_RATIO * (compressed + RATIO_SLACK_BYTES)) {
                throw new InvalidArtifactException("model artifact: " + name + " inflates more than "
                        + MAX_INFLATION_RATIO + ":1 (" + total + " bytes from about " + compressed
                        + " compressed): a ZIP bomb?");
            }
            if (out != null) {
                out.write(buf, 0, n);
            }
        }
        return total;
    }

    /** {@link #inflate} into a new array. */
    static byte[] inflateToArray(InputStream entry, String name, CountingInputStream archive, long limit,
                                 String limitWhy) throws IOException, InvalidArtifactException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        inflate(entry, name, archive, limit, limitWhy, out);
        return out.toByteArray();
    }
}
