package dev.osprey.ingest.http;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Locale;

/**
 * {@code osprey.ingest.http.requests}: one count per answered request, tagged with its endpoint
 * and status. Javalin's request logger calls it after every request.
 */
final class RequestMeters {

    private static final List<String> ENDPOINTS = List.of("images", "predictions", "feedback");

    private final MeterRegistry registry;

    RequestMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Counts one answered request; the signature of Javalin's request logger. */
    void count(Context ctx, Float millis) {
        Counter.builder("osprey.ingest.http.requests")
                .description("HTTP requests to the ingest API, by endpoint and status")
                .tag("endpoint", endpoint(ctx.path()))
                .tag("status", Integer.toString(ctx.statusCode()))
                .register(registry)
                .increment();
    }

    /** A bounded tag value: never the id in the path. */
    static String endpoint(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        for (String name : ENDPOINTS) {
            if (p.equals("/" + name) || p.startsWith("/" + name + "/")) {
                return name;
            }
        }
        return "other";
    }
}
