package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The guard on a real Javalin server, spoken to over a raw socket so that each request carries
 * exactly the headers a browser (or curl) would send, {@code Host} included.
 */
class RequestGuardTest {

    private static final String FORM = "application/x-www-form-urlencoded";

    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Javalin> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(Javalin::stop);
    }

    private Javalin serve(HttpAccess access) {
        Javalin app = Javalin.create(config -> {
            HttpServers.configure(config, "guard-test", 16);
            RequestGuard.install(config, access, "127.0.0.1");
            config.routes.post("/feedback/{id}", ctx -> {
                accepted.incrementAndGet();
                ctx.status(202).result("accepted");
            });
            config.routes.get("/predictions/{id}", ctx -> ctx.result("read"));
            config.routes.exception(HttpResponseException.class,
                    (e, ctx) -> ctx.status(e.getStatus()).result(e.getMessage()));
        });
        servers.add(app);
        return app.start("127.0.0.1", 0);
    }

    /** Sends one request and returns the whole answer, status line first. */
    private static String send(Javalin app, String method, String path, String host, String... headers)
            throws IOException {
        StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: "
                + (host != null ? host : "127.0.0.1:" + app.port()) + "\r\n");
        for (String h : headers) {
            request.append(h).append("\r\n");
        }
        String body = method.equals("POST") ? "label=3" : "";
        request.append("Content-Length: ").append(body.length()).append("\r\nConnection: close\r\n\r\n").append(body);
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aCrossSiteFormPostIsRefusedWithTheReason() throws Exception {
        Javalin app = serve(HttpAccess.loopbackOnly());

        String answer = send(app, "POST", "/feedback/img-1", null, "Content-Type: " + FORM,
                "Origin: http://evil.example", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate");

        assertThat(answer).startsWith("HTTP/1.1 403").contains("cross-site request refused");
        assertThat(accepted).hasValue(0);
    }

    @Test
    void anotherOriginIsRefusedAlsoWithoutFetchMetadata() throws Exception {
        Javalin app = serve(HttpAccess.loopbackOnly());

        // A page on another port of this machine (Grafana, say) is "same-site", but not this origin.
        String otherPort = send(app, "POST", "/feedback/img-1", "localhost:" + app.port(), "Content-Type: " + FORM,
                "Origin: http://localhost:3000", "Sec-Fetch-Site: same-site");
        String oldBrowser = send(app, "POST", "/feedback/img-1", null, "Content-Type: text/plain",
                "Origin: http://evil.example");
        String sandboxed = send(app, "POST", "/feedback/img-1", null, "Content-Type: multipart/form-data; boundary=x",
                "Origin: null");

        assertThat(otherPort).startsWith("HTTP/1.1 403").contains("Origin http://localhost:3000 is not this server");
        assertThat(oldBrowser).startsWith("HTTP/1.1 403");
        assertThat(sandboxed).startsWith("HTTP/1.1 403");
        assertThat(accepted).hasValue(0);
    }

    @Test
    void aRebindingPageIsRefusedByTheHostItNames() throws Exception {
        Javalin app = serve(HttpAccess.loopbackOnly());
        String host = "attacker.example:" + app.port();

        String answer = send(app, "POST", "/feedback/img-1", host, "Content-Type: " + FORM,
                "Origin: http://" + host, "Sec-Fetch-Site: same-origin");

        assertThat(answer).startsWith("HTTP/1.1 403").contains("loopback");
        assertThat(accepted).hasValue(0);
    }

    @Test
    void aHostIsJudgedAsWrittenNeverLookedUp() {
        RequestGuard guard = new RequestGuard(HttpAccess.loopbackOnly(), "127.0.0.1");

        // Public names that resolve to 127.0.0.1 are exactly what a rebinding attacker uses.
        assertThat(guard.crossSite(null, null, "localtest.me:8080")).isPresent();
        assertThat(guard.crossSite(null, null, "127.0.0.1.nip.io")).isPresent();
        assertThat(guard.crossSite(null, null, "localhost:8080")).isEmpty();
        assertThat(guard.crossSite(null, null, "127.0.0.1:8080")).isEmpty();
        assertThat(guard.crossSite(null, null, "[::1]:8080")).isEmpty();
        assertThat(guard.crossSite(null, null, null)).as("HTTP/1.0 without Host: not a browser").isEmpty();
    }

    @Test
    void sameOriginPagesAndNonBrowserClientsAreServed() throws Exception {
        Javalin app = serve(HttpAccess.loopbackOnly());
        String self = "127.0.0.1:" + app.port();

        String page = send(app, "POST", "/feedback/img-1", self, "Content-Type: " + FORM, "Origin: http://" + self,
                "Sec-Fetch-Site: same-origin");
        String localhostPage = send(app, "POST", "/feedback/img-1", "localhost:" + app.port(),
                "Content-Type: " + FORM, "Origin: http://localhost:" + app.port());
        String curl = send(app, "POST", "/feedback/img-1", null, "User-Agent: curl/8.5.0", "Content-Type: " + FORM);

        assertThat(page).startsWith("HTTP/1.1 202");
        assertThat(localhostPage).startsWith("HTTP/1.1 202");
        assertThat(curl).startsWith("HTTP/1.1 202");
        assertThat(accepted).hasValue(3);
    }

    @Test
    void readsAreLeftAlone() throws Exception {
        Javalin app = serve(HttpAccess.withToken(ApiToken.of("s3cret")));

        String answer = send(app, "GET", "/predictions/img-1", null, "Origin: http://evil.example",
                "Sec-Fetch-Site: cross-site");

        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("read");
    }

    @Test
    void withATokenAMissingOrWrongOneIs401() throws Exception {
        Javalin app = serve(HttpAccess.withToken(ApiToken.of("s3cret")));

        String none = send(app, "POST", "/feedback/img-1", null, "Content-Type: " + FORM);
        String wrong = send(app, "POST", "/feedback/img-1", null, "Authorization: Bearer guess");
        String right = send(app, "POST", "/feedback/img-1", null, "Authorization: Bearer s3cret");

        assertThat(none).startsWith("HTTP/1.1 401").containsIgnoringCase("WWW-Authenticate: Bearer")
                .contains("Authorization: Bearer <token>");
        assertThat(wrong).startsWith("HTTP/1.1 401").contains("not valid");
        assertThat(right).startsWith("HTTP/1.1 202");
        assertThat(accepted).hasValue(1);
    }
}
