package dev.osprey.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code /healthz} tells the truth: 503 with the reason once the service cannot work. */
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
}
