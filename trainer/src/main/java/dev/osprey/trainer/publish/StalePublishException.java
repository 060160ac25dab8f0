package dev.osprey.trainer.publish;

import java.util.Locale;

/**
 * A publish refused because another version of the model appeared after the caller judged its
 * candidate: the candidate was never compared with the version now serving.
 */
public final class StalePublishException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final int expected;
    private final int latest;

    public StalePublishException(String model, int expected, int latest) {
        super(String.format(Locale.ROOT, "%s:v%d was published after this candidate was judged against v%d; "
                + "it is not published", model, latest, expected));
        this.expected = expected;
        this.latest = latest;
    }

    /** The version the candidate was judged against. */
    public int expected() {
        return expected;
    }

    /** The newest version found at publish time. */
    public int latest() {
        return latest;
    }
}
