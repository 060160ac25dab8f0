package dev.osprey.app;

import java.util.concurrent.CountDownLatch;

/** Blocks a service command until Ctrl-C or SIGTERM, then lets it close what it opened. */
final class Shutdown {

    private final CountDownLatch signalled = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    Shutdown() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            signalled.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "osprey-shutdown"));
    }

    /** Waits for the signal. */
    void await() throws InterruptedException {
        signalled.await();
    }

    /** Waits at most {@code timeout} for the signal; returns whether it came. */
    boolean awaitFor(java.time.Duration timeout) throws InterruptedException {
        return signalled.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Tells the shutdown hook the command has closed its resources, so the JVM may end. */
    void done() {
        closed.countDown();
    }
}
