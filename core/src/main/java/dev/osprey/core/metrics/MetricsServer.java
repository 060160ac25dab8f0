package dev.osprey.core.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves {@code /metrics} (Prometheus text format), {@code /healthz} (the process can do its job:
 * 503 with the reason when it cannot, so an orchestrator restarts it) and {@code /readyz} (the
 * service is connected and, for the classifier, a model is loaded).
 */
public final class MetricsServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts serving on {@code address} (port 0 picks a free port). */
    public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry,
                                      BooleanSupplier ready) throws IOException {
        return start(address, registry, ready, Optional::empty);
    }

    /**
     * Starts serving on {@code address}; {@code failure} says why the service cannot do its job,
     * empty while it can.
     */
    public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry,
                                      BooleanSupplier ready, Supplier<Optional<String>> failure) throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        server.createContext("/metrics", ex -> respond(ex, 200,
                "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/healthz", ex -> {
            Optional<String> why = failure.get();
            respond(ex, why.isEmpty() ? 200 : 503, "text/plain", why.map(w -> "unhealthy: " + w + "\n").orElse("ok\n"));
        });
        server.createContext("/readyz", ex -> {
            boolean ok = ready.getAsBoolean();
            respond(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "osprey-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new MetricsServer(server, executor);
    }

    private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
