package dev.osprey.core.metrics;

import dev.osprey.core.http.HttpServers;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves {@code /metrics} (Prometheus text format), {@code /healthz} (the process can do its job:
 * 503 with the reason when it cannot, so an orchestrator restarts it) and {@code /readyz} (the
 * service is connected and, for the classifier, a model is loaded). Read-only, so it needs no
 * token; it binds where it is told ({@code --metrics-host}, loopback by default).
 */
public final class MetricsServer implements AutoCloseable {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain";

    private final Javalin app;

    private MetricsServer(Javalin app) {
        this.app = app;
    }

    /** Starts serving on {@code address} (port 0 picks a free port). */
    public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry,
                                      BooleanSupplier ready) throws IOException {
        return start(address, registry, ready, Optional::empty);
    }

    /**
     * Starts serving on {@code address}; {@code failure} says why the service cannot do its job,
     * empty while it can.
     *
     * @throws IOException when the address cannot be bound
     */
    public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry,
                                      BooleanSupplier ready, Supplier<Optional<String>> failure) throws IOException {
        Javalin app = Javalin.create(config -> {
            HttpServers.configure(config, "osprey-metrics-http", 16);
            config.routes.get("/metrics", ctx -> text(ctx, 200, PROMETHEUS_TEXT, registry.scrape()));
            config.routes.get("/healthz", ctx -> {
                Optional<String> why = failure.get();
                text(ctx, why.isEmpty() ? 200 : 503, TEXT, why.map(w -> "unhealthy: " + w + "\n").orElse("ok\n"));
            });
            config.routes.get("/readyz", ctx -> {
                boolean ok = ready.getAsBoolean();
                text(ctx, ok ? 200 : 503, TEXT, ok ? "ready\n" : "not ready\n");
            });
        });
        try {
            app.start(address.getHostString(), address.getPort());
        } catch (RuntimeException e) {
            app.stop();
            throw new IOException("cannot serve metrics on " + address.getHostString() + ":" + address.getPort()
                    + ": " + e.getMessage(), e);
        }
        return new MetricsServer(app);
    }

    private static void text(Context ctx, int status, String contentType, String body) {
        ctx.status(status).contentType(contentType).result(body);
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
