package dev.osprey.core.http;

import io.javalin.config.JavalinConfig;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * What every Osprey HTTP server shares, so that ingest, the trainer and the metrics endpoint are
 * one stack (Javalin on Jetty) configured one way.
 */
public final class HttpServers {

    /** Idle threads stop after this long. */
    private static final int IDLE_TIMEOUT_MS = 60_000;

    private HttpServers() {
    }

    /**
     * No banner or version nag on the console, and a thread pool of its own named {@code name}:
     * daemon threads, so a server that was not closed never keeps the JVM alive, and at most
     * {@code maxThreads} of them (Jetty's acceptor and selectors included, so not below 16).
     */
    public static void configure(JavalinConfig config, String name, int maxThreads) {
        if (maxThreads < 16) {
            throw new IllegalArgumentException("Jetty needs at least 16 threads, not " + maxThreads);
        }
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        QueuedThreadPool pool = new QueuedThreadPool(maxThreads, 2, IDLE_TIMEOUT_MS);
        pool.setName(name);
        pool.setDaemon(true);
        config.jetty.threadPool = pool;
    }
}
