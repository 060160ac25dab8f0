package dev.osprey.trainer.live;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accuracy of each model version on the most recent outcomes (its predictions joined with feedback
 * labels), over a sliding window of the last {@code window} outcomes. In memory only: it is a live
 * measure, and after a restart it fills again from new outcomes.
 */
public final class LiveAccuracy {

    /** Hears about versions and full windows; called on a stream thread. */
    public interface Listener {

        /** The first outcome of a version arrived. */
        default void firstOutcome(LiveAccuracy source, String model, int version) {
        }

        /**
         * Another {@link #window()} outcomes of a version arrived since the last call (or since its
         * first), and the window is full: {@code accuracy} is over the last window of them.
         */
        default void windowFilled(LiveAccuracy source, String model, int version, double accuracy) {
        }
    }

    /** Where one version stands. */
    public record Snapshot(String model, int version, double accuracy, int outcomes) {
    }

    private final int window;
    private final Listener listener;
    private final Map<String, Map<Integer, Ring>> models = new ConcurrentHashMap<>();
    private final Map<String, Integer> newestVersion = new ConcurrentHashMap<>();

    public LiveAccuracy(int window, Listener listener) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1: " + window);
        }
        this.window = window;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Counts one outcome. */
    public void record(Outcome o) {
        Map<Integer, Ring> versions = models.computeIfAbsent(o.model(), m -> new ConcurrentHashMap<>());
        boolean[] created = new boolean[1];
        Ring ring = versions.computeIfAbsent(o.version(), v -> {
            created[0] = true;
            return new Ring(window);
        });
        newestVersion.merge(o.model(), o.version(), Math::max);
        if (created[0]) {
            listener.firstOutcome(this, o.model(), o.version());
        }
        double filled = ring.add(o.correct());
        if (!Double.isNaN(filled)) {
            listener.windowFilled(this, o.model(), o.version(), filled);
        }
    }

    /** Accuracy of {@code model} version {@code version} over its last outcomes, if it has any. */
    public OptionalDouble accuracy(String model, int version) {
        Ring ring = models.getOrDefault(model, Map.of()).get(version);
        return ring == null ? OptionalDouble.empty() : ring.accuracy();
    }

    /** The newest version of {@code model} with outcomes, and where it stands. */
    public Optional<Snapshot> newest(String model) {
        Integer v = newestVersion.get(model);
        if (v == null) {
            return Optional.empty();
        }
        Ring ring = models.get(model).get(v);
        return Optional.of(new Snapshot(model, v, ring.accuracy().orElse(Double.NaN), ring.size()));
    }

    /** The newest version that has outcomes, or empty. */
    public Optional<Integer> newestVersion(String model) {
        return Optional.ofNullable(newestVersion.get(model));
    }

    public int window() {
        return window;
    }

    /** The last {@code capacity} outcomes of one version. */
    private static final class Ring {

        private final boolean[] correct;
        private int next;
        private int size;
        private int hits;
        private int sinceFilled;

        Ring(int capacity) {
            this.correct = new boolean[capacity];
        }

        /** Adds one; returns the accuracy when another window's worth arrived with the window full, else NaN. */
        synchronized double add(boolean ok) {
            if (size == correct.length) {
                if (correct[next]) {
                    hits--;
                }
            } else {
                size++;
            }
            correct[next] = ok;
            if (ok) {
                hits++;
            }
            next = (next + 1) % correct.length;
            sinceFilled++;
            if (size == correct.length && sinceFilled >= correct.length) {
                sinceFilled = 0;
                return (double) hits / size;
            }
            return Double.NaN;
        }

        synchronized OptionalDouble accuracy() {
            return size == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) hits / size);
        }

        synchronized int size() {
            return size;
        }
    }
}
