package dev.osprey.ingest;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/** Shows a person how an ingest run is going. */
public interface ProgressDisplay {

    /**
     * The run begins.
     *
     * @param total     the number of images the run will publish, or -1 when it has no end
     * @param published reads how many images Kafka has acknowledged so far; safe from any thread
     */
    void start(long total, LongSupplier published);

    /** The run ended; the display stops and may print the summary. */
    void finish(IngestSummary summary);

    /**
     * A progress bar with rate and ETA on {@code out} when this JVM has an interactive console,
     * otherwise one summary line at the end.
     */
    static ProgressDisplay forTerminal(PrintStream out) {
        return System.console() != null ? new ConsoleProgressBar(out) : summaryLine(out);
    }

    /** Prints only the summary line, when the run ends. */
    static ProgressDisplay summaryLine(PrintStream out) {
        return new ProgressDisplay() {
            @Override
            public void start(long total, LongSupplier published) {
                // nothing to show until the end
            }

            @Override
            public void finish(IngestSummary summary) {
                out.println(summary.line());
                out.flush();
            }
        };
    }

    /** Shows nothing: for services that report through metrics and logs only. */
    static ProgressDisplay none() {
        return new ProgressDisplay() {
            @Override
            public void start(long total, LongSupplier published) {
                // silent
            }

            @Override
            public void finish(IngestSummary summary) {
                // silent
            }
        };
    }
}
