package dev.osprey.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.FeedbackCorrection;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.ingest.IngestException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API against the real embedded broker, spoken to with {@link HttpClient}. */
@Tag("slow")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IngestHttpServerIT {

    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final String TOKEN = "s3cret-token";

    @TempDir
    static Path brokerDir;
    private static EmbeddedBroker broker;
    private static KafkaSettings settings;
    private static KafkaSettings guardedSettings;
    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
    private static IngestHttpServer server;
    private static IngestHttpServer guarded;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(BOUND).build();

    private static final RawImage GRAY = gradient(28, 28, 1);
    private static final byte[] PNG = ImageEncoder.png(GRAY);

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedBroker.start(brokerDir, 0);
        settings = KafkaSettings.of(broker.bootstrapServers(), "http-");
        guardedSettings = KafkaSettings.of(broker.bootstrapServers(), "guarded-");
        // The server expects its topics, as the command that starts it creates them.
        TopicAdmin.ensureTopics(settings);
        TopicAdmin.ensureTopics(guardedSettings);
        server = IngestHttpServer.start(settings, "127.0.0.1", 0, HttpAccess.loopbackOnly(), REGISTRY);
        guarded = IngestHttpServer.start(guardedSettings, "127.0.0.1", 0, HttpAccess.withToken(ApiToken.of(TOKEN)),
                new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {guarded, server, broker}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // close the rest
            }
        }
    }

    @Test
    void aPngBodyIsPublishedAsItIsWithItsTypeLabelAndSource() throws Exception {
        double publishedBefore = REGISTRY.get("osprey.ingest.images.published").counter().count();

        HttpResponse<String> r = send(post("/images?label=3").header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode body = Json.mapper().readTree(r.body());
        String id = body.get("id").asText();
        assertThat(id).isNotBlank();
        assertThat(r.headers().firstValue("Location")).hasValue("/predictions/" + id);
        ConsumerRecord<String, byte[]> record = published(body);
        assertThat(record.topic()).isEqualTo(settings.topics().images());
        assertThat(record.key()).isEqualTo(id);
        assertThat(record.value()).isEqualTo(PNG);
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.PNG);
        assertThat(ImageHeaders.label(record.headers())).hasValue(3);
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.SOURCE)).hasValue("http");
        assertThat(REGISTRY.get("osprey.ingest.images.published").counter().count()).isEqualTo(publishedBefore + 1);
        await().atMost(BOUND).until(() -> requests("images", "202") >= 1);
    }

    @Test
    void aCurlStylePutWithoutContentTypeIsSniffed() throws Exception {
        // What 'curl -T shoe.png http://host/images/' sends: PUT, the file name in the path, no type.
        HttpResponse<String> r = send(post("/images/shoe.png").PUT(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        ConsumerRecord<String, byte[]> record = published(Json.mapper().readTree(r.body()));
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.PNG);
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.SOURCE)).hasValue("http:shoe.png");
        assertThat(ImageHeaders.label(record.headers())).isEmpty();

        HttpResponse<String> plain = send(post("/images").PUT(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(202);
    }

    @Test
    void aMultipartFormCarriesTheImageIdAndLabel() throws Exception {
        Multipart form = new Multipart().file("image", "boot.png", "image/png", PNG).field("label", "9")
                .field("id", "form-upload-1");

        HttpResponse<String> r = send(post("/images").header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes())));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode body = Json.mapper().readTree(r.body());
        assertThat(body.get("id").asText()).isEqualTo("form-upload-1");
        ConsumerRecord<String, byte[]> record = published(body);
        assertThat(record.key()).isEqualTo("form-upload-1");
        assertThat(record.value()).isEqualTo(PNG);
        assertThat(ImageHeaders.label(record.headers())).hasValue(9);
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.SOURCE)).hasValue("http:boot.png");
    }

    @Test
    void aJpegIsPublishedAsJpegEvenWhenSentAsOctetStream() throws Exception {
        byte[] jpeg = ImageEncoder.jpeg(gradient(32, 32, 3));

        HttpResponse<String> r = send(post("/images?id=jpeg-1").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        ConsumerRecord<String, byte[]> record = published(Json.mapper().readTree(r.body()));
        assertThat(record.key()).isEqualTo("jpeg-1");
        assertThat(record.value()).isEqualTo(jpeg);
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.JPEG);
        RawImage decoded = ImageDecoder.decode(record.value(), record.headers());
        assertThat(decoded.width()).isEqualTo(32);
        assertThat(decoded.channels()).isEqualTo(3);
    }

    @Test
    void rawPixelsCarryTheirDimensionsFromQueryOrHeaders() throws Exception {
        RawImage rgb = gradient(3, 2, 3);
        HttpResponse<String> byHeaders = send(post("/images").header("Content-Type", ImageHeaders.RAW)
                .header("width", "3").header("height", "2").header("channels", "3")
                .POST(HttpRequest.BodyPublishers.ofByteArray(rgb.pixels())));
        assertThat(byHeaders.statusCode()).as(byHeaders.body()).isEqualTo(202);
        ConsumerRecord<String, byte[]> record = published(Json.mapper().readTree(byHeaders.body()));
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.RAW);
        assertThat(ImageDecoder.decode(record.value(), record.headers())).isEqualTo(rgb);

        HttpResponse<String> byQuery = send(post("/images?width=28&height=28")
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(GRAY.pixels())));
        assertThat(byQuery.statusCode()).as(byQuery.body()).isEqualTo(202);
        ConsumerRecord<String, byte[]> gray = published(Json.mapper().readTree(byQuery.body()));
        assertThat(ImageHeaders.text(gray.headers(), ImageHeaders.CHANNELS)).hasValue("1");
        assertThat(ImageDecoder.decode(gray.value(), gray.headers())).isEqualTo(GRAY);

        // 784 bytes and nothing else: a 28x28 gray image, written down explicitly.
        HttpResponse<String> bare = send(post("/images").POST(HttpRequest.BodyPublishers.ofByteArray(GRAY.pixels())));
        assertThat(bare.statusCode()).as(bare.body()).isEqualTo(202);
        ConsumerRecord<String, byte[]> sniffed = published(Json.mapper().readTree(bare.body()));
        assertThat(ImageHeaders.text(sniffed.headers(), ImageHeaders.WIDTH)).hasValue("28");
        assertThat(ImageDecoder.decode(sniffed.value(), sniffed.headers())).isEqualTo(GRAY);
    }

    @Test
    void anImageOverTheLimitIs413BeforeItsBodyIsSent() throws Exception {
        // Only the headers go out: the server must refuse by the declared length, without reading
        // 8 MB. (HttpClient's own Expect: 100-continue hangs on a final answer in JDK 17.)
        String raw = headersOnly("POST /images", "image/png", OspreyTopics.IMAGE_MAX_BYTES + 1L);
        assertThat(raw).startsWith("HTTP/1.1 413");
        assertThat(raw).contains("larger than the limit of " + OspreyTopics.IMAGE_MAX_BYTES);

        String multipart = headersOnly("POST /images", "multipart/form-data; boundary=x",
                OspreyTopics.IMAGE_MAX_BYTES + 100_000L);
        assertThat(multipart).startsWith("HTTP/1.1 413");

        byte[] big = new byte[OspreyTopics.IMAGE_MAX_BYTES + 1];
        System.arraycopy(PNG, 0, big, 0, PNG.length);
        HttpResponse<String> chunked = send(post("/images").header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        assertThat(chunked.statusCode()).isEqualTo(413);

        Multipart form = new Multipart().file("image", "big.png", "image/png",
                Arrays.copyOf(big, OspreyTopics.IMAGE_MAX_BYTES + 3 * ImageUpload.MULTIPART_SLACK));
        HttpResponse<String> chunkedForm = send(post("/images").header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(form.bytes()))));
        assertThat(chunkedForm.statusCode()).as(chunkedForm.body()).isEqualTo(413);
        assertThat(error(chunkedForm)).contains("larger than the limit");
    }

    @Test
    void anImageBeyondThePixelBudgetIs413FromItsHeaderWithOneLineOfReason() throws Exception {
        double publishedBefore = REGISTRY.get("osprey.ingest.images.published").counter().count();
        // Only a signature and an IHDR declaring 4000x3000: decoding it would call it corrupt, so
        // "too-large" shows it was refused from the header alone.
        byte[] declared = pngHeader(4000, 3000);
        byte[] big = ImageEncoder.png(gradient(2048, 2048, 1));
        byte[] wideJpeg = ImageEncoder.jpeg(gradient(1100, 1000, 1));
        List<HttpResponse<String>> refused = List.of(
                send(post("/images").header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(declared))),
                send(post("/images/bomb.png").PUT(HttpRequest.BodyPublishers.ofByteArray(declared))),
                send(post("/images").header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(big))),
                send(post("/images").PUT(HttpRequest.BodyPublishers.ofByteArray(wideJpeg))),
                multipart(new Multipart().file("image", "big.png", "image/png", big)));
        for (HttpResponse<String> r : refused) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
            assertThat(error(r)).contains("(too-large)").contains("pixels").doesNotContain("\n");
        }
        HttpResponse<String> absurd = send(post("/images").header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(pngHeader(60_000, 60_000))));
        assertThat(absurd.statusCode()).as(absurd.body()).isEqualTo(400);
        assertThat(error(absurd)).contains("(bad-dimensions)").doesNotContain("\n");
        assertThat(REGISTRY.get("osprey.ingest.images.published").counter().count()).isEqualTo(publishedBefore);

        // The budget is the server's: one started with 4096x4096 takes the 2048x2048 image.
        try (IngestHttpServer roomy = IngestHttpServer.start(settings, "127.0.0.1", 0, HttpAccess.loopbackOnly(),
                new SimpleMeterRegistry(), ImageDecoder.DEFAULT_MAX_PIXELS)) {
            HttpResponse<String> r = send(request(roomy, "/images").header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(big)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        }
        assertThatThrownBy(() -> IngestHttpServer.start(settings, "127.0.0.1", 0, HttpAccess.loopbackOnly(),
                new SimpleMeterRegistry(), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pixel budget");
    }

    private static HttpResponse<String> multipart(Multipart form) throws IOException, InterruptedException {
        return send(post("/images").header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes())));
    }

    /** A PNG signature and an IHDR chunk (with its CRC) declaring {@code width}x{@code height} gray. */
    private static byte[] pngHeader(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(33);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}).putInt(13);
        b.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 12, 17);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    @Test
    void aTypeThatIsNoImageIs415() throws Exception {
        HttpResponse<String> r = send(post("/images").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello")));
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(error(r)).contains("text/plain").contains("image/png");

        Multipart form = new Multipart().file("image", "notes.txt", "text/plain", "hello".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> multipart = send(post("/images").header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes())));
        assertThat(multipart.statusCode()).isEqualTo(415);
    }

    @Test
    void undecodableOrIncompleteImagesAre400WithTheReason() throws Exception {
        byte[] truncated = Arrays.copyOf(PNG, PNG.length / 2);
        HttpResponse<String> cut = send(post("/images").header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(truncated)));
        assertThat(cut.statusCode()).isEqualTo(400);
        assertThat(error(cut)).startsWith("not a usable image (corrupt-image)");

        HttpResponse<String> junk = send(post("/images").POST(HttpRequest.BodyPublishers.ofString("just some text")));
        assertThat(junk.statusCode()).isEqualTo(400);
        assertThat(error(junk)).contains("not-an-image");

        HttpResponse<String> mismatch = send(post("/images?width=10&height=10")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[99])));
        assertThat(mismatch.statusCode()).isEqualTo(400);
        assertThat(error(mismatch)).contains("bad-dimensions");

        HttpResponse<String> noSize = send(post("/images").header("Content-Type", ImageHeaders.RAW)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[100])));
        assertThat(noSize.statusCode()).isEqualTo(400);
        assertThat(error(noSize)).contains("width and height");

        HttpResponse<String> empty = send(post("/images").header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(error(empty)).contains("empty");

        Multipart noImage = new Multipart().field("label", "1");
        HttpResponse<String> form = send(post("/images").header("Content-Type", noImage.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(noImage.bytes())));
        assertThat(form.statusCode()).isEqualTo(400);
        assertThat(error(form)).contains("'image'");
    }

    @Test
    void badIdsAndLabelsAre400() throws Exception {
        HttpResponse<String> id = send(post("/images?id=a%20b").POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(id.statusCode()).isEqualTo(400);
        assertThat(error(id)).contains("bad id 'a b'");

        HttpResponse<String> label = send(post("/images?label=cat").POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(label.statusCode()).isEqualTo(400);
        assertThat(error(label)).contains("bad label 'cat'");

        HttpResponse<String> negative = send(post("/feedback/img-1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"label\": -1}")));
        assertThat(negative.statusCode()).isEqualTo(400);

        HttpResponse<String> fraction = send(post("/feedback/img-1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"label\": 2.5}")));
        assertThat(fraction.statusCode()).isEqualTo(400);

        HttpResponse<String> missing = send(post("/feedback/img-1").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(error(missing)).contains("no label");

        HttpResponse<String> badJson = send(post("/feedback/img-1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"label\": ")));
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(error(badJson)).contains("not valid JSON");

        HttpResponse<String> timeout = send(get("/predictions/img-1?timeout=soon"));
        assertThat(timeout.statusCode()).isEqualTo(400);
        assertThat(error(timeout)).contains("bad timeout");
    }

    @Test
    void withATokenTheMutatingEndpointsNeedIt() throws Exception {
        HttpResponse<String> none = send(request(guarded, "/images").POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                v -> assertThat(v).startsWith("Bearer"));
        assertThat(error(none)).contains("Authorization: Bearer");

        HttpResponse<String> wrong = send(request(guarded, "/images").header("Authorization", "Bearer nope")
                .POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(wrong.statusCode()).isEqualTo(401);

        HttpResponse<String> feedback = send(request(guarded, "/feedback/x?label=1").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(feedback.statusCode()).isEqualTo(401);

        HttpResponse<String> right = send(request(guarded, "/images").header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(right.statusCode()).as(right.body()).isEqualTo(202);

        // Reading predictions changes nothing: no token needed.
        HttpResponse<String> read = send(request(guarded, "/predictions/x?timeout=0").GET());
        assertThat(read.statusCode()).isEqualTo(404);
    }

    @Test
    void aWebPageOnAnotherSiteCannotPostFeedbackButTheServersOwnPageCan() throws Exception {
        double sentBefore = REGISTRY.get("osprey.ingest.feedback.sent").counter().count();

        // What a hidden form on another site makes the visitor's browser send.
        HttpResponse<String> crossSite = send(post("/feedback/img-7")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "http://evil.example")
                .header("Sec-Fetch-Site", "cross-site")
                .POST(HttpRequest.BodyPublishers.ofString("label=1")));
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(error(crossSite)).contains("cross-site request refused");

        HttpResponse<String> sameOrigin = send(post("/feedback/img-7")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "http://127.0.0.1:" + server.port())
                .header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.ofString("label=2")));
        assertThat(sameOrigin.statusCode()).as(sameOrigin.body()).isEqualTo(202);
        assertThat(FeedbackCorrection.serde().fromBytes(published(Json.mapper().readTree(sameOrigin.body())).value()))
                .isEqualTo(new FeedbackCorrection("img-7", 2, null));
        assertThat(REGISTRY.get("osprey.ingest.feedback.sent").counter().count()).isEqualTo(sentBefore + 1);
    }

    @Test
    void feedbackBecomesACorrectionOnTheFeedbackTopic() throws Exception {
        HttpResponse<String> json = send(post("/feedback/img-42").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"label\": 3, \"who\": \"ann\"}")));
        assertThat(json.statusCode()).as(json.body()).isEqualTo(202);
        ConsumerRecord<String, byte[]> record = published(Json.mapper().readTree(json.body()));
        assertThat(record.topic()).isEqualTo(settings.topics().feedback());
        assertThat(record.key()).isEqualTo("img-42");
        assertThat(ImageHeaders.text(record.headers(), ImageHeaders.CONTENT_TYPE)).hasValue(FeedbackCorrection.CONTENT_TYPE);
        assertThat(FeedbackCorrection.serde().fromBytes(record.value())).isEqualTo(new FeedbackCorrection("img-42", 3, "ann"));

        HttpResponse<String> form = send(post("/feedback/run7/test-00001")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("label=4")));
        assertThat(form.statusCode()).as(form.body()).isEqualTo(202);
        assertThat(FeedbackCorrection.serde().fromBytes(published(Json.mapper().readTree(form.body())).value()))
                .isEqualTo(new FeedbackCorrection("run7/test-00001", 4, null));

        HttpResponse<String> query = send(post("/feedback/img-43?label=5").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(query.statusCode()).as(query.body()).isEqualTo(202);
        assertThat(FeedbackCorrection.serde().fromBytes(published(Json.mapper().readTree(query.body())).value()).label())
                .isEqualTo(5);
    }

    @Test
    void aPredictionOnTheTopicIsReturnedAndAMissingOneIs404AfterTheTimeout() throws Exception {
        Prediction before = prediction("pred-early");
        writePrediction(before);
        HttpResponse<String> found = send(get("/predictions/pred-early"));
        assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
        assertThat(Prediction.serde().fromBytes(found.body().getBytes(StandardCharsets.UTF_8))).isEqualTo(before);

        long start = System.nanoTime();
        HttpResponse<String> missing = send(get("/predictions/pred-never?timeout=300"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(error(missing)).contains("pred-never");
    }

    @Test
    void aRequestWaitsForAPredictionThatComesLater() throws Exception {
        CompletableFuture<HttpResponse<String>> pending = HTTP.sendAsync(
                get("/predictions/run9/test-00007?timeout=20000").build(), HttpResponse.BodyHandlers.ofString());
        // Written only once the request waits, so the wait itself is what is tested.
        await().atMost(BOUND).until(() -> server.waitingRequests() >= 1);
        Prediction later = prediction("run9/test-00007");
        writePrediction(later);

        HttpResponse<String> r = pending.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Prediction.serde().fromBytes(r.body().getBytes(StandardCharsets.UTF_8))).isEqualTo(later);
    }

    @Test
    void feedbackWithALabelOutsideTheModelsClassesIs400NamingTheRange() throws Exception {
        server.classCount(10);

        HttpResponse<String> tooBig = send(post("/feedback/img-7?label=42").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(400);
        assertThat(error(tooBig)).contains("label 42").contains("10 classes").contains("0 to 9");

        HttpResponse<String> last = send(post("/feedback/img-7?label=9").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(last.statusCode()).as(last.body()).isEqualTo(202);
    }

    @Test
    void anUnknownIdIs404AtOnceOnceThePredictionsAreReadToTheirEnd() throws Exception {
        writePrediction(prediction("pred-known"));
        // Once the reader is at the end, the answer names that instead of a wait that ran out.
        await().atMost(BOUND).until(() -> error(send(get("/predictions/does-not-exist"))).contains("did not upload"));

        HttpResponse<String> unknown = send(get("/predictions/does-not-exist"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(error(unknown)).contains("does-not-exist").contains("?timeout=").doesNotContain("within");
        assertThat(send(get("/predictions/pred-known")).statusCode()).isEqualTo(200);
    }

    @Test
    void anImageUploadedHereIsWaitedForEvenWhenThePredictionsAreReadToTheirEnd() throws Exception {
        await().atMost(BOUND).until(() -> error(send(get("/predictions/not-uploaded"))).contains("did not upload"));
        HttpResponse<String> upload = send(post("/images").POST(HttpRequest.BodyPublishers.ofByteArray(PNG)));
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(202);
        String id = Json.mapper().readTree(upload.body()).get("id").asText();

        int waitingBefore = server.waitingRequests();
        CompletableFuture<HttpResponse<String>> pending = HTTP.sendAsync(get("/predictions/" + id).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(BOUND).until(() -> server.waitingRequests() > waitingBefore);
        Prediction later = prediction(id);
        writePrediction(later);

        HttpResponse<String> r = pending.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Prediction.serde().fromBytes(r.body().getBytes(StandardCharsets.UTF_8))).isEqualTo(later);
    }

    @Test
    void unknownPathsAreJson404sCountedAsOther() throws Exception {
        HttpResponse<String> r = send(get("/nothing-here"));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(error(r)).isNotBlank();
        await().atMost(BOUND).until(() -> requests("other", "404") >= 1);
    }

    @Test
    void aTakenPortIsAClearErrorAndLeavesNothingRunning() {
        int taken = server.port();
        assertThatThrownBy(() -> IngestHttpServer.start(settings, "127.0.0.1", taken, HttpAccess.loopbackOnly(),
                new SimpleMeterRegistry()))
                .isInstanceOf(IngestException.class)
                .hasMessageStartingWith("cannot serve HTTP on 127.0.0.1:" + taken);
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive)
                .filteredOn(t -> t.getName().equals("osprey-ingest-predictions")).hasSize(2);
    }

    // ---- helpers

    private static Prediction prediction(String id) {
        long now = System.currentTimeMillis();
        return new Prediction(id, 7, "seven", 0.9, List.of(new Prediction.Scored(7, "seven", 0.9),
                new Prediction.Scored(1, "one", 0.05)), "digits", 3, 7, now - 5, now, 5);
    }

    private static void writePrediction(Prediction p) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(settings.topics().predictions(), p.id(), Prediction.serde().toBytes(p)))
                    .get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static double requests(String endpoint, String status) {
        Counter c = REGISTRY.find("osprey.ingest.http.requests").tag("endpoint", endpoint).tag("status", status)
                .counter();
        return c == null ? 0 : c.count();
    }

    private static HttpRequest.Builder post(String path) {
        return request(server, path);
    }

    private static HttpRequest.Builder get(String path) {
        return request(server, path).GET();
    }

    private static HttpRequest.Builder request(IngestHttpServer target, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path)).timeout(Duration.ofSeconds(60));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends only the request line and headers, with {@code Expect: 100-continue}, and returns what
     * the server answers before any body byte.
     */
    private static String headersOnly(String requestLine, String contentType, long contentLength) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) BOUND.toMillis());
            String head = requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType
                    + "\r\nContent-Length: " + contentLength + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String error(HttpResponse<String> r) throws IOException {
        JsonNode node = Json.mapper().readTree(r.body());
        assertThat(node.has("error")).as("JSON error body: %s", r.body()).isTrue();
        return node.get("error").asText();
    }

    /** The record a 202 answer points at, by its topic, partition and offset. */
    private static ConsumerRecord<String, byte[]> published(JsonNode answer) {
        TopicPartition tp = new TopicPartition(answer.get("topic").asText(), answer.get("partition").asInt());
        long offset = answer.get("offset").asLong();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() == offset) {
                        return r;
                    }
                }
            }
        }
        throw new AssertionError("no record at " + tp + "@" + offset + " within " + BOUND);
    }

    private static RawImage gradient(int width, int height, int channels) {
        byte[] pixels = new byte[width * height * channels];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7 % 256);
        }
        return new RawImage(width, height, channels, pixels);
    }

    /** A multipart/form-data body. */
    private static final class Multipart {
        private final String boundary = "osprey-test-boundary-7d1f";
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Multipart field(String name, String value) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
            return this;
        }

        Multipart file(String name, String filename, String type, byte[] content) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
                    + "\"\r\nContent-Type: " + type + "\r\n\r\n");
            out.writeBytes(content);
            write("\r\n");
            return this;
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        byte[] bytes() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(out.toByteArray());
            all.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return all.toByteArray();
        }

        private void write(String s) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }
}
