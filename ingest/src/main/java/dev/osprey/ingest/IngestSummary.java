package dev.osprey.ingest;

import java.time.Duration;
import java.util.Locale;

/**
 * What an ingest run did.
 *
 * @param published     images acknowledged by Kafka on {@code images}
 * @param feedbackSent  labelled copies acknowledged on {@code feedback}
 * @param errors        records Kafka did not accept (the first error is logged)
 * @param skipped       files of the source left out because they could not be read (each is logged)
 * @param elapsed       from the first send to the last acknowledgement
 * @param requests      with the uncertain feedback strategy, what became of the label requests read;
 *                      all zero with the random one
 */
public record IngestSummary(long published, long feedbackSent, long errors, long skipped, Duration elapsed,
                            UncertainLabeller.Counts requests) {

    public IngestSummary(long published, long feedbackSent, long errors, long skipped, Duration elapsed) {
        this(published, feedbackSent, errors, skipped, elapsed, UncertainLabeller.Counts.NONE);
    }

    /** Published images per second over the run. */
    public double rate() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : published / seconds;
    }

    /**
     * One line for logs and non-interactive terminals; {@code skipped=} only when files were,
     * {@code label-requests=} only when some were read.
     */
    public String line() {
        String asked = requests.received() == 0 ? "" : String.format(Locale.ROOT,
                " label-requests=%d answered=%d skipped-unknown=%d skipped-budget=%d", requests.received(),
                requests.answered(), requests.skippedUnknown(), requests.skippedBudget());
        return String.format(Locale.ROOT, "published=%d feedback=%d errors=%d%s%s rate=%.1f/s elapsed=%.2fs",
                published, feedbackSent, errors, skipped == 0 ? "" : " skipped=" + skipped, asked, rate(),
                elapsed.toNanos() / 1e9);
    }
}
