package dev.osprey.classifier.model;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import dev.osprey.core.model.ModelManifest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model now serving, and the challenger scored beside it in shadow, if any. Stream threads
 * {@link #acquire()} them for one batch; the model follower {@link #swap swaps} in a new version
 * (or {@link #challenge sets} a challenger) between two batches, and the old one closes once its
 * last batch ends. A challenger whose version the champion reaches (it was promoted, or overtaken)
 * is dropped by the swap.
 */
public final class ModelHolder implements AutoCloseable {

    private final AtomicReference<ServingModel> current = new AtomicReference<>();
    private final AtomicReference<ServingModel> challenger = new AtomicReference<>();
    private final Object arrival = new Object();
    private volatile boolean closed;

    /** A reference to the serving model (and the challenger, if one runs) for the length of one batch. */
    public final class Lease implements AutoCloseable {

        private final ServingModel model;
        private final ServingModel shadow;
        private final boolean owner;

        private Lease(ServingModel model, ServingModel shadow, boolean owner) {
            this.model = model;
            this.shadow = shadow;
            this.owner = owner;
        }

        /**
         * The challenger leased with the champion, if one runs in shadow; it is released with this
         * lease (closing the view returned does nothing).
         */
        public Optional<Lease> challenger() {
            return shadow == null ? Optional.empty() : Optional.of(new Lease(shadow, null, false));
        }

        public ModelManifest manifest() {
            return model.manifest();
        }

        public Model model() {
            return model.model();
        }

        public Predictor<NDList, float[]> predictor() {
            return model.predictor();
        }

        @Override
        public void close() {
            if (!owner) {
                return;
            }
            model.release();
            if (shadow != null) {
                shadow.release();
            }
        }
    }

    /** Leases the serving model; throws if none has been loaded yet. */
    public Lease acquire() {
        while (true) {
            ServingModel m = current.get();
            if (m == null) {
                throw new IllegalStateException("no model is loaded yet");
            }
            if (m.retain()) {
                ServingModel c = challenger.get();
                return new Lease(m, c != null && c.retain() ? c : null, true);
            }
            // m was swapped out and closed between get() and retain(): read the new one.
        }
    }

    /** Makes {@code next} the serving model; the previous one closes when its in-flight batches end. */
    public void swap(ServingModel next) {
        if (closed) {
            next.release(); // a follower finishing a load after close: free the model at once
            return;
        }
        ServingModel previous = current.getAndSet(next);
        if (previous != null) {
            previous.release();
        }
        ServingModel c = challenger.get();
        if (c != null && c.manifest().version() <= next.manifest().version() && challenger.compareAndSet(c, null)) {
            c.release();
        }
        synchronized (arrival) {
            arrival.notifyAll();
        }
    }

    /** Makes {@code next} the challenger, scored in shadow beside the champion; the previous one is dropped. */
    public void challenge(ServingModel next) {
        if (closed) {
            next.release();
            return;
        }
        ServingModel previous = challenger.getAndSet(next);
        if (previous != null) {
            previous.release();
        }
    }

    /** Stops scoring the challenger, if one runs; returns the version dropped. */
    public Optional<ModelManifest> retireChallenger() {
        ServingModel previous = challenger.getAndSet(null);
        if (previous == null) {
            return Optional.empty();
        }
        previous.release();
        return Optional.of(previous.manifest());
    }

    /** The challenger running in shadow, if any. */
    public Optional<ModelManifest> challenger() {
        ServingModel c = challenger.get();
        return c == null ? Optional.empty() : Optional.of(c.manifest());
    }

    public Optional<ModelManifest> serving() {
        ServingModel m = current.get();
        return m == null ? Optional.empty() : Optional.of(m.manifest());
    }

    /** Waits up to {@code timeout} for a first model; returns whether one is serving. */
    public boolean awaitModel(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrival) {
            while (current.get() == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(arrival, left);
            }
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        retireChallenger();
        ServingModel m = current.getAndSet(null);
        if (m != null) {
            m.release();
        }
    }
}
