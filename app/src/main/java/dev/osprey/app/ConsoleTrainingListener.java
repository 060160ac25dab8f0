package dev.osprey.app;

import dev.osprey.trainer.train.EpochStats;
import dev.osprey.trainer.train.TrainingListener;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress for people: a bar per epoch with loss and throughput on a terminal, and one
 * line per finished epoch everywhere.
 */
final class ConsoleTrainingListener implements TrainingListener {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private int epochs;

    ConsoleTrainingListener(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static ConsoleTrainingListener onStderr() {
        return new ConsoleTrainingListener(System.err, System.console() != null);
    }

    @Override
    public void onEpochStart(int epoch, int total) {
        this.epochs = total;
    }

    @Override
    public void onBatch(BatchProgress p) {
        if (!terminal) {
            return;
        }
        int filled = p.batchesTotal() == 0 ? WIDTH : WIDTH * p.batchesDone() / p.batchesTotal();
        out.printf(Locale.ROOT, "\repoch %d/%d [%s%s] %3d%%  loss %.4f  %,.0f img/s ", p.epoch(), epochs,
                "#".repeat(filled), " ".repeat(WIDTH - filled),
                p.batchesTotal() == 0 ? 100 : 100 * p.batchesDone() / p.batchesTotal(), p.runningLoss(),
                p.imagesPerSecond());
        out.flush();
    }

    @Override
    public void onEpochEnd(EpochStats s) {
        if (terminal) {
            out.print("\r" + " ".repeat(WIDTH + 60) + "\r");
        }
        out.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  test accuracy %.4f  %,.0f img/s  %.1f s%s%n", s.epoch(),
                epochs, s.meanLoss(), s.testAccuracy(), s.imagesPerSecond(), s.trainTime().toMillis() / 1000.0,
                s.complete() ? "" : "  (cut short by the time limit)");
        out.flush();
    }

    @Override
    public void onRollback(int epoch, String reason, float newLearningRate) {
        out.printf(Locale.ROOT, "%nepoch %d: %s; back to the best weights, learning rate now %.2e%n", epoch, reason,
                newLearningRate);
    }
}
