package dev.osprey.core.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.UnauthorizedResponse;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The one check in front of every mutating Osprey endpoint (any method but GET, HEAD and
 * OPTIONS), installed as a Javalin before-handler:
 *
 * <ol>
 *   <li>a request a browser marks as coming from another site is refused with 403, so a web page
 *       cannot post feedback or start a retrain through a visitor's browser: {@code Sec-Fetch-Site:
 *       cross-site}, an {@code Origin} that is not the {@code Host} the request was sent to (or is
 *       {@code null}), and, on a loopback server, a {@code Host} that is not a loopback name (a page
 *       whose own name was re-pointed at 127.0.0.1, "DNS rebinding");</li>
 *   <li>with a token, a request without {@code Authorization: Bearer <token>} is refused with 401
 *       and {@code WWW-Authenticate}.</li>
 * </ol>
 * Clients that are not browsers (curl, scripts, {@code HttpClient}) send neither header and are
 * judged by the token alone. Reads are left alone: they change nothing.
 */
public final class RequestGuard implements Handler {

    private static final Set<HandlerType> READS = Set.of(HandlerType.GET, HandlerType.HEAD, HandlerType.OPTIONS);

    private final HttpAccess access;
    private final boolean loopbackServer;

    /**
     * @param access who may call
     * @param host   the address the server binds: on a loopback one, only loopback {@code Host}s are served
     */
    public RequestGuard(HttpAccess access, String host) {
        this.access = access;
        this.loopbackServer = HttpAccess.isLoopback(host);
    }

    /** Puts a guard for {@code access} on {@code host} in front of every route of {@code config}. */
    public static void install(JavalinConfig config, HttpAccess access, String host) {
        config.routes.before(new RequestGuard(access, host));
    }

    @Override
    public void handle(Context ctx) {
        if (READS.contains(ctx.method())) {
            return;
        }
        Optional<String> crossSite = crossSite(ctx.header("Sec-Fetch-Site"), ctx.header("Origin"), ctx.header("Host"));
        if (crossSite.isPresent()) {
            throw new ForbiddenResponse(crossSite.get());
        }
        if (access.token().isEmpty()) {
            return;
        }
        String authorization = ctx.header("Authorization");
        if (authorization == null) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"osprey\"");
            throw new UnauthorizedResponse("this endpoint needs 'Authorization: Bearer <token>' (the server's "
                    + ApiToken.ENV + " or --token-file)");
        }
        if (!access.token().get().matches(authorization)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"osprey\", error=\"invalid_token\"");
            throw new UnauthorizedResponse("the bearer token is not valid");
        }
    }

    /** Why a mutating request with these headers comes from another site; empty when it does not. */
    Optional<String> crossSite(String fetchSite, String origin, String host) {
        if (fetchSite != null && fetchSite.strip().equalsIgnoreCase("cross-site")) {
            return Optional.of("cross-site request refused (Sec-Fetch-Site: cross-site)");
        }
        if (origin != null && !sameAuthority(origin, host)) {
            return Optional.of("cross-origin request refused (Origin " + shorten(origin) + " is not this server, "
                    + shorten(String.valueOf(host)) + ")");
        }
        if (loopbackServer && host != null && !HttpAccess.isLoopbackName(hostName(host))) {
            return Optional.of("request for Host " + shorten(host) + " refused: this server listens on a loopback "
                    + "address and answers only localhost, 127.0.0.1 or [::1]");
        }
        return Optional.empty();
    }

    /** Whether an {@code Origin} names the authority the request was sent to (what a same-origin page sends). */
    private static boolean sameAuthority(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            String authority = new URI(origin.strip()).getRawAuthority();
            return authority != null && authority.toLowerCase(Locale.ROOT).equals(host.strip().toLowerCase(Locale.ROOT));
        } catch (URISyntaxException e) {
            // "null" (a sandboxed frame, a file) and garbage alike: not this server.
            return false;
        }
    }

    /** The name in a {@code Host} header, without its port: {@code [::1]:8080} gives {@code [::1]}. */
    private static String hostName(String host) {
        String h = host.strip();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    private static String shorten(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= 100 ? printable : printable.substring(0, 100) + "...";
    }
}
