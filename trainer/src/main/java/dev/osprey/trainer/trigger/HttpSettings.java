package dev.osprey.trainer.trigger;

import dev.osprey.core.http.HttpAccess;
import java.util.Objects;

/**
 * Where the trainer serves {@code POST /retrain} and {@code GET /status}, and who may retrain.
 *
 * @param host   address to bind; a non-loopback one needs a token or {@link HttpAccess#noAuth()}
 * @param port   port; 0 picks a free one, -1 turns the endpoint off
 * @param access the token {@code POST /retrain} needs, if any
 */
public record HttpSettings(String host, int port, HttpAccess access) {

    public static final int DEFAULT_PORT = 8081;
    /** Loopback unless told otherwise: without a token, anyone who reaches the port could retrain. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    public HttpSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(access, "access");
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("--http-port must be in [0, 65535], or -1 for none: " + port);
        }
        if (port >= 0) {
            access.requireSafeBind(host, "POST /retrain");
        }
    }

    /** On port 8081 of the loopback address, without a token. */
    public static HttpSettings defaults() {
        return new HttpSettings(DEFAULT_HOST, DEFAULT_PORT, HttpAccess.loopbackOnly());
    }

    /** No HTTP endpoint. */
    public static HttpSettings off() {
        return new HttpSettings(DEFAULT_HOST, -1, HttpAccess.loopbackOnly());
    }

    public boolean enabled() {
        return port >= 0;
    }
}
