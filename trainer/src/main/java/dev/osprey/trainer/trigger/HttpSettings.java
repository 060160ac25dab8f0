package dev.osprey.trainer.trigger;

import java.util.Objects;
import java.util.Optional;

/**
 * Where the trainer serves {@code POST /retrain} and {@code GET /status}.
 *
 * @param host  address to bind
 * @param port  port; 0 picks a free one, -1 turns the endpoint off
 * @param token when present, requests must carry {@code Authorization: Bearer <token>}
 */
public record HttpSettings(String host, int port, Optional<String> token) {

    public static final int DEFAULT_PORT = 8081;
    public static final String ENV_TOKEN = "OSPREY_API_TOKEN";

    public HttpSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(token, "token");
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("--http-port must be in [0, 65535], or -1 for none: " + port);
        }
        if (token.isPresent() && token.get().isBlank()) {
            throw new IllegalArgumentException(ENV_TOKEN + " must not be blank when set");
        }
    }

    /** On port 8081 of every interface, without a token. */
    public static HttpSettings defaults() {
        return new HttpSettings("0.0.0.0", DEFAULT_PORT, Optional.empty());
    }

    /** No HTTP endpoint. */
    public static HttpSettings off() {
        return new HttpSettings("0.0.0.0", -1, Optional.empty());
    }

    public boolean enabled() {
        return port >= 0;
    }
}
