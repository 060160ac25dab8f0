package dev.osprey.app;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a service command run until Ctrl-C or SIGTERM, then close what it opened before the JVM ends.
 *
 * <p>A signal that arrives while the command is still starting (waiting for a first model, training
 * a seed model) interrupts the command's thread, so a stop never waits for start-up to finish.
 */
final class Shutdown {

    private static final Duration CLOSE_LIMIT = Duration.ofSeconds(60);

    private final CountDownLatch signalled = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread owner = Thread.currentThread();
    private volatile boolean waiting;

    Shutdown() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            signalled.countDown();
            if (!waiting) {
                owner.interrupt();
            }
            try {
                closed.await(CLOSE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "osprey-shutdown"));
    }

    /** Waits for the signal. */
    void await() throws InterruptedException {
        waiting = true;
        signalled.await();
    }

    /**
     * Waits at most {@code timeout} for the signal; returns whether it came. From the first call on,
     * the command counts as started: a signal between two calls (while a status line is printed)
     * ends the next wait instead of interrupting the thread, whose interrupt flag would otherwise
     * break the closing that follows (Jetty's stop, a consumer's close).
     */
    boolean awaitFor(Duration timeout) throws InterruptedException {
        waiting = true;
        return signalled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits for the signal (empty), or until {@code failure}, asked every second, gives a reason
     * the service can no longer work (that reason).
     */
    Optional<String> awaitOrFailure(Supplier<Optional<String>> failure) throws InterruptedException {
        waiting = true;
        while (!signalled.await(1, TimeUnit.SECONDS)) {
            Optional<String> why = failure.get();
            if (why.isPresent()) {
                return why;
            }
        }
        return Optional.empty();
    }

    /** Tells the shutdown hook the command has closed its resources, so the JVM may end. */
    void done() {
        closed.countDown();
    }
}
