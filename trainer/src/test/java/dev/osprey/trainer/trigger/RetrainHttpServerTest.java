package dev.osprey.trainer.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /retrain} answers every request: 202, 400 for bad input, 401 without the token, 403
 * for a cross-site browser request, 405 for another method, 500 for a failure of its own.
 */
class RetrainHttpServerTest {

    private static final HttpSettings LOCAL = new HttpSettings("127.0.0.1", 0, HttpAccess.loopbackOnly());

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> post(RetrainHttpServer server, String rawQuery) throws IOException,
            InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/retrain"
                        + rawQuery))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String rawPost(RetrainHttpServer server, String target) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST " + target + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRequestIsSubmitted() throws Exception {
        List<TriggerRequest> submitted = new CopyOnWriteArrayList<>();
        try (RetrainHttpServer server = RetrainHttpServer.start(LOCAL, "digits", r -> {
            submitted.add(r);
            return TriggerSink.Submission.SCHEDULED;
        }, Map::of)) {
            HttpResponse<String> r = post(server, "?reason=drift%20seen");

            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(r.body()).contains("\"submission\":\"scheduled\"");
            assertThat(submitted).singleElement().satisfies(t -> assertThat(t.reasons()).containsExactly("drift seen (http)"));
        }
    }

    @Test
    void aBadPercentEscapeIsABadRequest() throws Exception {
        List<TriggerRequest> submitted = new CopyOnWriteArrayList<>();
        try (RetrainHttpServer server = RetrainHttpServer.start(LOCAL, "digits", r -> {
            submitted.add(r);
            return TriggerSink.Submission.SCHEDULED;
        }, Map::of)) {
            // Raw: java.net.URI (and so HttpClient) refuses to send a malformed escape. The JDK server
            // answers 400 before the handler today; the handler's own 400 covers a server that does not.
            String answer = rawPost(server, "/retrain?reason=100%zz");

            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(submitted).isEmpty();
        }
    }

    @Test
    void aFailingSchedulerIsAServerError() throws Exception {
        try (RetrainHttpServer server = RetrainHttpServer.start(LOCAL, "digits", r -> {
            throw new IllegalStateException("scheduler broke");
        }, Map::of)) {
            HttpResponse<String> r = post(server, "");

            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
            assertThat(r.body()).contains("scheduler broke");
        }
    }

    private static TriggerSink recording(List<TriggerRequest> submitted) {
        return r -> {
            submitted.add(r);
            return TriggerSink.Submission.SCHEDULED;
        };
    }

    @Test
    void aCrossSiteFormPostCannotStartARun() throws Exception {
        List<TriggerRequest> submitted = new CopyOnWriteArrayList<>();
        try (RetrainHttpServer server = RetrainHttpServer.start(LOCAL, "digits", recording(submitted), Map::of)) {
            HttpRequest form = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/retrain"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Origin", "http://evil.example")
                    .POST(HttpRequest.BodyPublishers.ofString("fresh=true"))
                    .build();

            HttpResponse<String> r = client.send(form, HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("cross-origin request refused");
            assertThat(submitted).isEmpty();
        }
    }

    @Test
    void withATokenRetrainNeedsItAndStatusDoesNot() throws Exception {
        List<TriggerRequest> submitted = new CopyOnWriteArrayList<>();
        HttpSettings guarded = new HttpSettings("127.0.0.1", 0, HttpAccess.withToken(ApiToken.of("s3cret")));
        try (RetrainHttpServer server = RetrainHttpServer.start(guarded, "digits", recording(submitted),
                () -> Map.of("state", "idle"))) {
            URI retrain = URI.create("http://127.0.0.1:" + server.port() + "/retrain");
            HttpResponse<String> none = post(server, "");
            HttpResponse<String> wrong = client.send(HttpRequest.newBuilder(retrain).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer s3cre").POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> right = client.send(HttpRequest.newBuilder(retrain).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer s3cret").POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.port() + "/status")).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("Bearer"));
            assertThat(none.headers().firstValue("Content-Type")).contains("application/json");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(right.statusCode()).isEqualTo(202);
            assertThat(submitted).hasSize(1);
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.body()).isEqualTo("{\"state\":\"idle\"}");
        }
    }

    @Test
    void anotherMethodIs405WithAllow() throws Exception {
        try (RetrainHttpServer server = RetrainHttpServer.start(LOCAL, "digits", recording(new CopyOnWriteArrayList<>()),
                Map::of)) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/retrain")).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).contains("POST");
            assertThat(r.body()).contains("use POST /retrain");
        }
    }

    @Test
    void itBindsLoopbackByDefaultAndRefusesAWildcardWithoutAToken() throws Exception {
        assertThat(HttpAccess.isLoopback(HttpSettings.defaults().host())).isTrue();
        assertThatThrownBy(() -> new HttpSettings("0.0.0.0", 0, HttpAccess.loopbackOnly()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("refusing to serve POST /retrain on 0.0.0.0 without a token");

        HttpSettings noAuth = new HttpSettings("0.0.0.0", 0, new HttpAccess(Optional.empty(), true));
        try (RetrainHttpServer server = RetrainHttpServer.start(noAuth, "digits",
                recording(new CopyOnWriteArrayList<>()), Map::of)) {
            assertThat(post(server, "").statusCode()).isEqualTo(202);
        }
    }
}
