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
 * The model now serving. Stream threads {@link #acquire()} it for one batch; the model follower
 * {@link #swap swaps} in a new version between two batches, and the old one closes once its last
 * batch ends.
 */
public final class ModelHolder implements AutoCloseable {

    private final AtomicReference<ServingModel> current = new AtomicReference<>();
    private final Object arrival = new Object();
    private volatile boolean closed;

    /** A reference to the serving model for the length of one batch. */
    public final class Lease implements AutoCloseable {

        private final ServingModel model;

        private Lease(ServingModel model) {
            this.model = model;
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
            model.release();
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
                return new Lease(m);
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
        synchronized (arrival) {
            arrival.notifyAll();
        }
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
        ServingModel m = current.getAndSet(null);
        if (m != null) {
            m.release();
        }
    }
}
