package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.ingest.http.IngestHttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole HTTP round trip on the real broker with the real classifier: a Fashion-MNIST test
 * image goes up as a PNG, the classifier (an untrained MLP, DJL on the CPU) labels it, and its
 * prediction comes back from {@code GET /predictions/{id}} — once with {@link HttpClient}, once
 * with the {@code curl -T} a user would type.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HttpRoundTripIT {

    private static final String MODEL = "fashion";
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;
    private static ClassifierApp classifier;
    private static IngestHttpServer http;
    private static Dataset fashion;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isDirectory(data), "Fashion-MNIST is not installed at " + data
                + " (Debian package dataset-fashion-mnist)");
        fashion = IdxDirectoryReader.read(data, Split.TEST);

        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
        KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "roundtrip-");
        TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(settings.topics().models(), MODEL,
                    TestModels.untrained(Architecture.MLP, MODEL, 1).toBytes())).get(30, TimeUnit.SECONDS);
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        classifier = new ClassifierApp(ClassifierConfig.defaults(broker.bootstrapServers(), settings.topics())
                .withStateDir(dir.resolve("state")), registry);
        classifier.start(Duration.ofMinutes(2));
        http = IngestHttpServer.start(settings, "127.0.0.1", 0, HttpAccess.loopbackOnly(), registry);
    }

    @AfterAll
    static void stop() {
        // Reverse order of creation: the API, the classifier, then the broker they both use.
        if (http != null) {
            http.close();
        }
        if (classifier != null) {
            classifier.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void anUploadedPngComesBackClassified() throws Exception {
        int index = 17;
        byte[] png = ImageEncoder.png(fashion.image(index));
        int truth = fashion.label(index);

        HttpResponse<String> upload = CLIENT.send(request("/images?label=" + truth)
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(202);
        String id = Json.mapper().readTree(upload.body()).get("id").asText();

        HttpResponse<String> answer = CLIENT.send(request("/predictions/" + id + "?timeout=" + BOUND.toMillis())
                .GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        Prediction prediction = Prediction.serde().fromBytes(answer.body().getBytes(StandardCharsets.UTF_8));
        assertClassified(prediction, id);
        assertThat(prediction.truth()).isEqualTo(truth);
    }

    @Test
    void curlUploadsAFileWithDashT() throws Exception {
        Optional<Path> curl = onPath("curl");
        assumeTrue(curl.isPresent(), "curl is not installed: the curl half of the round trip is skipped");
        Path shoe = Files.write(dir.resolve("shoe.png"), ImageEncoder.png(fashion.image(0)));
        String base = "http://127.0.0.1:" + http.port();

        // Exactly what a user types: PUT with the file as the body and no content type.
        String accepted = curl(curl.get(), 202, "-T", shoe.toString(), base + "/images");
        String id = Json.mapper().readTree(accepted).get("id").asText();
        String json = curl(curl.get(), 200, base + "/predictions/" + id + "?timeout=" + BOUND.toMillis());

        assertClassified(Prediction.serde().fromBytes(json.getBytes(StandardCharsets.UTF_8)), id);
    }

    private static void assertClassified(Prediction prediction, String id) {
        assertThat(prediction.id()).isEqualTo(id);
        assertThat(prediction.model()).isEqualTo(MODEL);
        assertThat(prediction.version()).isEqualTo(1);
        assertThat(prediction.top()).isNotEmpty();
        assertThat(prediction.top().get(0).classIndex()).isEqualTo(prediction.classIndex());
        assertThat(prediction.classIndex()).isBetween(0, 9);
        assertThat(prediction.confidence()).isBetween(0.0, 1.0);
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).timeout(BOUND.plusSeconds(30));
    }

    /** Runs curl with {@code args}, checks the HTTP status, and returns the body. */
    private static String curl(Path curl, int expectedStatus, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(curl.toString(), "-sS", "--max-time",
                Long.toString(BOUND.toSeconds() + 30), "-w", "\n%{http_code}"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // curl's --max-time bounds this read; the output is one small JSON document and the status.
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        int newline = out.lastIndexOf('\n');
        assertThat(out.substring(newline + 1).strip()).as("%s: %s", command, out)
                .isEqualTo(Integer.toString(expectedStatus));
        return out.substring(0, newline);
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String d : path.split(File.pathSeparator)) {
            Path candidate = Path.of(d, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
