package dev.osprey.core.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may call a server's mutating endpoints: with a token, only requests that carry it; without
 * one, anyone who can reach the address, which is why a server without a token binds a loopback
 * address unless the operator said {@code --no-auth}.
 *
 * @param token  when present, mutating requests need {@code Authorization: Bearer <token>}
 * @param noAuth the operator accepts serving mutating endpoints without a token on a non-loopback address
 */
public record HttpAccess(Optional<ApiToken> token, boolean noAuth) {

    public HttpAccess {
        Objects.requireNonNull(token, "token");
    }

    /** No token: a loopback address only. */
    public static HttpAccess loopbackOnly() {
        return new HttpAccess(Optional.empty(), false);
    }

    /** Mutating requests need {@code token}. */
    public static HttpAccess withToken(ApiToken token) {
        return new HttpAccess(Optional.of(token), false);
    }

    /**
     * Refuses, in one line, to serve {@code what} on a non-loopback {@code host} without a token,
     * unless {@link #noAuth()} says the operator wants exactly that.
     *
     * @throws IllegalArgumentException naming the address and the ways out
     */
    public void requireSafeBind(String host, String what) {
        if (token.isEmpty() && !noAuth && !isLoopback(host)) {
            throw new IllegalArgumentException("refusing to serve " + what + " on " + host + " without a token: "
                    + "set " + ApiToken.ENV + " or --token-file, bind 127.0.0.1, or pass --no-auth");
        }
    }

    /**
     * Whether the address a server binds is a loopback one: {@code localhost}, {@code 127.0.0.0/8},
     * {@code ::1}, or a name that resolves to one (the operator chose it).
     */
    public static boolean isLoopback(String host) {
        String h = bare(host);
        if (isLoopbackName(h)) {
            return true;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            // An address that does not resolve cannot be bound either; not loopback.
            return false;
        }
    }

    /**
     * Whether {@code host}, as a client wrote it, is literally a loopback name: {@code localhost}
     * (or under {@code .localhost}), an IPv4 {@code 127.x.x.x} or IPv6 {@code ::1} literal. Never
     * asks DNS: a name an attacker controls may well resolve to 127.0.0.1.
     */
    public static boolean isLoopbackName(String host) {
        String h = bare(host);
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.matches("[0-9a-f:.]*:[0-9a-f:.]*")) {
            return false;
        }
        try {
            // A literal address: parsed, not looked up.
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String bare(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }
}
