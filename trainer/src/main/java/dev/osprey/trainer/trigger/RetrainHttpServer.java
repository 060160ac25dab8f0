package dev.osprey.trainer.trigger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.RetrainRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's HTTP endpoint (JDK HttpServer: two routes do not need a framework).
 *
 * <ul>
 *   <li>{@code POST /retrain[?model=NAME&fresh=true&epochs=N&reason=...]}, optionally with a
 *       {@code RetrainRequest} JSON body: answers 202 with what became of the trigger
 *       ({@code scheduled}, {@code merged}, {@code queued}, {@code coalesced});</li>
 *   <li>{@code GET /status}: the scheduler's state, the last run, live accuracy.</li>
 * </ul>
 * With a token configured, both need {@code Authorization: Bearer <token>} (401 otherwise).
 */
public final class RetrainHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RetrainHttpServer.class);
    private static final int MAX_BODY_BYTES = 64 * 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final String model;
    private final Optional<String> token;
    private final TriggerSink sink;
    private final Supplier<Map<String, Object>> status;

    private RetrainHttpServer(HttpServer server, ExecutorService executor, String model, Optional<String> token,
                              TriggerSink sink, Supplier<Map<String, Object>> status) {
        this.server = server;
        this.executor = executor;
        this.model = model;
        this.token = token;
        this.sink = sink;
        this.status = status;
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
        HttpServer server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 0);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "osprey-trainer-http");
            t.setDaemon(true);
            return t;
        });
        RetrainHttpServer s = new RetrainHttpServer(server, executor, model, settings.token(), sink, status);
        server.createContext("/retrain", s::retrain);
        server.createContext("/status", s::status);
        server.setExecutor(executor);
        server.start();
        LOG.info("trainer HTTP on port {}: POST /retrain, GET /status{}", s.port(),
                settings.token().isPresent() ? " (bearer token required)" : "");
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void retrain(HttpExchange ex) throws IOException {
        // HttpExchange is AutoCloseable only from Java 18.
        try {
            if (!authorised(ex)) {
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "POST");
                respond(ex, 405, Map.of("error", "use POST /retrain"));
                return;
            }
            TriggerRequest request;
            try {
                // In the try: URLDecoder throws IllegalArgumentException on a bad % escape (the JDK
                // server refuses such a request line itself today, but nothing promises it).
                Map<String, String> query = query(ex.getRequestURI().getRawQuery());
                RetrainRequest body = body(ex);
                String asked = query.getOrDefault("model", model);
                if (!model.equals(asked)) {
                    respond(ex, 404, Map.of("error", "this trainer retrains '" + model + "', not '" + asked + "'"));
                    return;
                }
                request = TriggerRequest.of(TriggerSource.HTTP, merged(body, query));
            } catch (IllegalArgumentException | SerializationException e) {
                respond(ex, 400, Map.of("error", e.getMessage()));
                return;
            }
            TriggerSink.Submission s = sink.submit(request);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("model", model);
            answer.put("trigger", TriggerSource.HTTP.id());
            answer.put("submission", s.name().toLowerCase(Locale.ROOT));
            respond(ex, s == TriggerSink.Submission.CLOSED ? 503 : 202, answer);
        } catch (RuntimeException e) {
            LOG.warn("POST /retrain failed", e);
            respond(ex, 500, Map.of("error", String.valueOf(e.getMessage())));
        } finally {
            ex.close();
        }
    }

    private void status(HttpExchange ex) throws IOException {
        try {
            if (!authorised(ex)) {
                return;
            }
            if (!"GET".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "GET");
                respond(ex, 405, Map.of("error", "use GET /status"));
                return;
            }
            respond(ex, 200, status.get());
        } catch (RuntimeException e) {
            LOG.warn("GET /status failed", e);
            respond(ex, 500, Map.of("error", String.valueOf(e.getMessage())));
        } finally {
            ex.close();
        }
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

    private static RetrainRequest body(HttpExchange ex) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("request body larger than " + MAX_BODY_BYTES + " bytes");
        }
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            return new RetrainRequest(null, null, Map.of());
        }
        return RetrainRequest.serde().fromBytes(bytes);
    }

    private boolean authorised(HttpExchange ex) throws IOException {
        if (token.isEmpty()) {
            return true;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String expected = "Bearer " + token.get();
        // Constant-time comparison: the token must not leak through response timing.
        if (header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        respond(ex, 401, Map.of("error", "missing or wrong bearer token"));
        return false;
    }

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

    private static void respond(HttpExchange ex, int code, Map<String, ?> body) throws IOException {
        byte[] bytes = Json.mapper().writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
