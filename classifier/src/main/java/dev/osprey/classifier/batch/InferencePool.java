package dev.osprey.classifier.batch;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forward-pass workers that stream tasks hand their batches to, shared by every task of one
 * classifier. With no workers ({@link #inline()}) a batch runs on the thread that submits it.
 * Workers are daemon threads named {@code osprey-inference-N}; the tasks they run hold no Kafka
 * Streams state, only a batch and the model it is classified with.
 */
public final class InferencePool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InferencePool.class);

    private final ExecutorService executor;
    private final int threads;

    private InferencePool(int threads, Runnable threadInit) {
        this.threads = threads;
        if (threads == 0) {
            this.executor = null;
        } else {
            AtomicInteger n = new AtomicInteger();
            this.executor = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(() -> {
                    threadInit.run();
                    r.run();
                }, "osprey-inference-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    /** No workers: every batch runs on its stream thread. */
    public static InferencePool inline() {
        return new InferencePool(0, () -> { });
    }

    /** {@code threads} workers; 0 is {@link #inline()}. */
    public static InferencePool of(int threads) {
        return of(threads, () -> { });
    }

    /**
     * {@code threads} workers, each running {@code threadInit} first: PyTorch's intra-op thread count
     * is OpenMP state of the thread that sets it, so each worker must set its own.
     */
    public static InferencePool of(int threads, Runnable threadInit) {
        if (threads < 0 || threads > 64) {
            throw new IllegalArgumentException("inference threads must be in [0, 64]: " + threads);
        }
        return new InferencePool(threads, threadInit);
    }

    /** Whether batches run on workers (and so finish later) rather than on the submitting thread. */
    public boolean pipelined() {
        return executor != null;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} on a worker, or now on this thread when inline (the future is then done). */
    public <T> Future<T> submit(Callable<T> task) {
        if (executor != null) {
            return executor.submit(task);
        }
        try {
            return CompletableFuture.completedFuture(task.call());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Lets running batches finish (bounded), drops queued ones: their images are re-read by the tasks' next owner. */
    @Override
    public void close() {
        if (executor == null) {
            return;
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("inference workers still busy after 30 s; abandoning them");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
