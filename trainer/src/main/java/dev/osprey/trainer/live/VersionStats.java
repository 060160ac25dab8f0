package dev.osprey.trainer.live;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every outcome of one model version since its first: a confusion matrix (true class by predicted
 * class) over classes {@code 0..}{@link #MAX_CLASSES}{@code -1}, grown as classes appear. Unlike
 * {@link LiveAccuracy}'s sliding window it never forgets, so two versions can be compared on all
 * their evidence. Thread-safe: the stream thread writes, scrapes and {@code /status} read.
 */
public final class VersionStats {

    /** Classes beyond this are not counted, which bounds the matrix and the meters' tags. */
    public static final int MAX_CLASSES = 100;

    private final String model;
    private final int version;
    private long[][] matrix = new long[0][0];
    private long outcomes;
    private long correct;
    private long ignored;

    public VersionStats(String model, int version) {
        this.model = model;
        this.version = version;
    }

    /** Counts one outcome; false if a class was outside {@code [0, MAX_CLASSES)} and it was not counted. */
    public synchronized boolean add(int label, int predicted) {
        if (label < 0 || label >= MAX_CLASSES || predicted < 0 || predicted >= MAX_CLASSES) {
            ignored++;
            return false;
        }
        int needed = Math.max(label, predicted) + 1;
        if (needed > matrix.length) {
            long[][] grown = new long[needed][needed];
            for (int i = 0; i < matrix.length; i++) {
                System.arraycopy(matrix[i], 0, grown[i], 0, matrix.length);
            }
            matrix = grown;
        }
        matrix[label][predicted]++;
        outcomes++;
        if (label == predicted) {
            correct++;
        }
        return true;
    }

    public String model() {
        return model;
    }

    public int version() {
        return version;
    }

    /** Outcomes counted. */
    public synchronized long outcomes() {
        return outcomes;
    }

    /** Outcomes whose prediction was right. */
    public synchronized long correct() {
        return correct;
    }

    /** Accuracy over every outcome counted, NaN before the first. */
    public synchronized double accuracy() {
        return outcomes == 0 ? Double.NaN : (double) correct / outcomes;
    }

    /** Accuracy on images whose true class is {@code label}, NaN if none had it. */
    public synchronized double classAccuracy(int label) {
        if (label < 0 || label >= matrix.length) {
            return Double.NaN;
        }
        long total = 0;
        for (long n : matrix[label]) {
            total += n;
        }
        return total == 0 ? Double.NaN : (double) matrix[label][label] / total;
    }

    /** How often true class {@code label} was predicted as {@code predicted}. */
    public synchronized long count(int label, int predicted) {
        return label < 0 || predicted < 0 || label >= matrix.length || predicted >= matrix.length
                ? 0 : matrix[label][predicted];
    }

    /** A copy of the matrix: row = true class, column = predicted class. */
    public synchronized long[][] matrix() {
        long[][] copy = new long[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            copy[i] = matrix[i].clone();
        }
        return copy;
    }

    /**
     * For {@code /status} and events: version, outcomes, accuracy (absent before the first outcome),
     * per-class accuracy (null for a class never seen as a label) and the matrix as rows.
     */
    public synchronized Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", version);
        m.put("outcomes", outcomes);
        m.put("correct", correct);
        if (outcomes > 0) {
            m.put("accuracy", (double) correct / outcomes); // absent, not null: event details hold no nulls
        }
        List<Double> perClass = new ArrayList<>();
        List<List<Long>> rows = new ArrayList<>();
        for (int i = 0; i < matrix.length; i++) {
            double a = classAccuracy(i);
            perClass.add(Double.isNaN(a) ? null : a);
            List<Long> row = new ArrayList<>();
            for (long n : matrix[i]) {
                row.add(n);
            }
            rows.add(row);
        }
        m.put("perClass", perClass);
        m.put("confusion", rows);
        if (ignored > 0) {
            m.put("ignoredOutOfRange", ignored);
        }
        return m;
    }
}
