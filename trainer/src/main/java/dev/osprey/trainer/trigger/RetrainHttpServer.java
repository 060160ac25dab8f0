package dev.osprey.trainer.trigger;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.http.HttpServers;
import dev.osprey.core.http.RequestGuard;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's HTTP endpoint, on the same Javalin stack as ingest's API.
 *
 * <ul>
 *   <li>{@code POST /retrain[?model=NAME&fresh=true&epochs=N&reason=...]}, optionally with a
 *       {@code RetrainRequest} JSON body: answers 202 with what became of the trigger
 *       ({@code scheduled}, {@code merged}, {@code queued}, {@code coalesced});</li>
 *   <li>{@code GET /status}: the scheduler's state, the last run, live accuracy.</li>
 * </ul>
 * {@code POST /retrain} passes the shared {@link RequestGuard}: with a token it needs
 * {@code Authorization: Bearer <token>} (401 otherwise), and a cross-site browser request is
 * refused with 403. Errors are {@code {"error": "..."}}.
 */
public final class RetrainHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RetrainHttpServer.class);
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final List<HandlerType> OTHER_METHODS = List.of(HandlerType.GET, HandlerType.POST,
            HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE);

    private final String model;
    private final TriggerSink sink;
    private final Supplier<Map<String, Object>> status;
    private final Javalin app;

    private RetrainHttpServer(HttpSettings settings, String model, TriggerSink sink,
                              Supplier<Map<String, Object>> status) {
        this.model = model;
        this.sink = sink;
        this.status = status;
        this.app = Javalin.create(config -> configure(config, settings));
    }

    /**
     * Starts serving.
     *
     * @param model  the trainer's model: a request for another one gets 404
     * @param status what {@code GET /status} shows
     * @throws IOException when the port cannot be bound
     */
    public static RetrainHttpServer start(HttpSettings settings, String model, TriggerSink sink,
                                          Supplier<Map<String, Object>> status) throws IOException {
        settings.access().requireSafeBind(settings.host(), "POST /retrain");
        RetrainHttpServer s = new RetrainHttpServer(settings, model, sink, status);
        try {
            s.app.start(settings.host(), settings.port());
        } catch (RuntimeException e) {
            s.close();
            throw new IOException(e.getMessage(), e);
        }
        LOG.info("trainer HTTP on {}:{}: POST /retrain, GET /status{}", settings.host(), s.port(),
                settings.access().token().isPresent() ? " (bearer token required to retrain)" : "");
        return s;
    }

    public int port() {
        return app.port();
    }

    private void configure(JavalinConfig config, HttpSettings settings) {
        HttpServers.configure(config, "osprey-trainer-http", 16);
        RequestGuard.install(config, settings.access(), settings.host());
        config.routes.post("/retrain", this::retrain);
        config.routes.get("/status", this::status);
        for (HandlerType method : OTHER_METHODS) {
            if (method != HandlerType.POST) {
                config.routes.addHttpHandler(method, "/retrain", ctx -> notAllowed(ctx, "POST", "/retrain"));
            }
            if (method != HandlerType.GET) {
                config.routes.addHttpHandler(method, "/status", ctx -> notAllowed(ctx, "GET", "/status"));
            }
        }
        config.routes.exception(HttpResponseException.class,
                (e, ctx) -> respond(ctx, e.getStatus(), Map.of("error", e.getMessage())));
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.warn("{} {} failed", ctx.method(), ctx.path(), e);
            respond(ctx, 500, Map.of("error", String.valueOf(e.getMessage())));
        });
    }

    private static void notAllowed(Context ctx, String allowed, String path) {
        ctx.header("Allow", allowed);
        respond(ctx, 405, Map.of("error", "use " + allowed + " " + path));
    }

    private void retrain(Context ctx) {
        TriggerRequest request;
        try {
            // In the try: URLDecoder throws IllegalArgumentException on a bad % escape.
            Map<String, String> query = query(ctx.queryString());
            RetrainRequest body = body(ctx);
            String asked = query.getOrDefault("model", model);
            if (!model.equals(asked)) {
                respond(ctx, 404, Map.of("error", "this trainer retrains '" + model + "', not '" + asked + "'"));
                return;
            }
            request = TriggerRequest.of(TriggerSource.HTTP, merged(body, query));
        } catch (IllegalArgumentException | SerializationException e) {
            respond(ctx, 400, Map.of("error", String.valueOf(e.getMessage())));
            return;
        }
        TriggerSink.Submission s = sink.submit(request);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("model", model);
        answer.put("trigger", TriggerSource.HTTP.id());
        answer.put("submission", s.name().toLowerCase(Locale.ROOT));
        respond(ctx, s == TriggerSink.Submission.CLOSED ? 503 : 202, answer);
    }

    private void status(Context ctx) {
        respond(ctx, 200, status.get());
    }

    /** The JSON body (may be empty), with query parameters taking precedence. */
    private static RetrainRequest merged(RetrainRequest body, Map<String, String> query) {
        Map<String, String> options = new HashMap<>(body.options());
        if (query.containsKey(TriggerRequest.OPTION_FRESH)) {
            options.put(TriggerRequest.OPTION_FRESH, query.get(TriggerRequest.OPTION_FRESH));
        }
        if (query.containsKey(TriggerRequest.OPTION_EPOCHS)) {
            options.put(TriggerRequest.OPTION_EPOCHS, query.get(TriggerRequest.OPTION_EPOCHS));
        }
        String reason = query.getOrDefault("reason", body.reason() == null ? "POST /retrain" : body.reason());
        return new RetrainRequest(reason, body.who() == null ? "http" : body.who(), options);
    }

    private static RetrainRequest body(Context ctx) {
        byte[] bytes;
        try (InputStream in = ctx.bodyInputStream()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the request body", e);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("request body larger than " + MAX_BODY_BYTES + " bytes");
        }
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            return new RetrainRequest(null, null, Map.of());
        }
        return RetrainRequest.serde().fromBytes(bytes);
    }

    /** The raw query: a parameter without {@code =} is {@code true}, as {@code ?fresh} means. */
    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static void respond(Context ctx, int code, Map<String, ?> body) {
        try {
            ctx.status(code).contentType("application/json").result(Json.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON answer", e);
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
