package dev.osprey.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code /healthz} tells the truth: 503 with the reason once the service cannot work; the paths keep their answers. */
class MetricsServerTest {

    @Test
    void healthFailsWithTheReasonAndRecovers() throws Exception {
        AtomicReference<Optional<String>> failure = new AtomicReference<>(Optional.empty());
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> true, failure::get)) {
            HttpClient http = HttpClient.newHttpClient();
            URI health = URI.create("http://127.0.0.1:" + server.port() + "/healthz");
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(health).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);

            failure.set(Optional.of("Kafka Streams is ERROR"));
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(health).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(503);
            assertThat(bad.body()).contains("Kafka Streams is ERROR");
        }
    }

    @Test
    void metricsAndReadinessAnswerAsBefore() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.counter("osprey.test.things").increment();
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), registry,
                () -> false)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
            assertThat(metrics.body()).contains("osprey_test_things_total 1.0");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("not ready\n");
            assertThat(health.body()).isEqualTo("ok\n");
        }
    }

    @Test
    void aTakenPortIsAnIOExceptionNamingTheAddress() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MetricsServer first = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), registry, () -> true)) {
            assertThatThrownBy(() -> MetricsServer.start(new InetSocketAddress("127.0.0.1", first.port()), registry,
                    () -> true))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("cannot serve metrics on 127.0.0.1:" + first.port());
        }
    }
}
