package dev.osprey.ingest;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar redrawn in place four times a second:
 * {@code [=========>          ] 45%  4500/10000  1234/s  ETA 0:04}. Without a known total it shows
 * the count, the rate and the elapsed time.
 */
final class ConsoleProgressBar implements ProgressDisplay {

    private static final int WIDTH = 30;
    private static final long REDRAW_MILLIS = 250;

    private final PrintStream out;
    private ScheduledExecutorService timer;
    private long total;
    private LongSupplier published;
    private long startNanos;

    ConsoleProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void start(long total, LongSupplier published) {
        this.total = total;
        this.published = published;
        this.startNanos = System.nanoTime();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "osprey-ingest-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::draw, 0, REDRAW_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void finish(IngestSummary summary) {
        synchronized (this) {
            if (timer != null) {
                timer.shutdownNow();
            }
        }
        draw();
        out.println();
        out.println(summary.line());
        out.flush();
    }

    private synchronized void draw() {
        if (published == null) {
            return;
        }
        out.print('\r');
        out.print(render(total, published.getAsLong(), System.nanoTime() - startNanos));
        out.flush();
    }

    /** The bar for {@code done} of {@code total} (or -1) after {@code elapsedNanos}. */
    static String render(long total, long done, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        if (total <= 0) {
            return String.format(Locale.ROOT, "%d published  %.0f/s  %s elapsed   ", done, rate, clock(seconds));
        }
        double share = Math.min(1, (double) done / total);
        int filled = (int) Math.round(share * WIDTH);
        StringBuilder bar = new StringBuilder(WIDTH + 2).append('[');
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled - 1 || (i == filled - 1 && done >= total) ? '=' : i == filled - 1 ? '>' : ' ');
        }
        bar.append(']');
        String eta = rate > 0 ? clock((total - done) / rate) : "?";
        return String.format(Locale.ROOT, "%s %3.0f%%  %d/%d  %.0f/s  ETA %s   ", bar, share * 100, done, total,
                rate, eta);
    }

    private static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
