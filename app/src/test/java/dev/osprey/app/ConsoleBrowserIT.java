package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.format.Json;
import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.ingest.IngestOptions;
import dev.osprey.ingest.IngestService;
import dev.osprey.ingest.http.IngestHttpServer;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;

/**
 * The console in a real browser (Debian's chromium, headless, through its chromedriver) against
 * the real loop: an embedded broker, a classifier serving an untrained MLP (DJL on the CPU) and
 * a trainer on a slice of Fashion-MNIST. It uploads a Fashion-MNIST PNG and a drawing, corrects
 * a prediction, starts a retrain and reads the dead letters, each as a user would, and saves a
 * screenshot of each view under {@code target/console-screenshots}.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

    private static final String MODEL = "fashion";
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration BOUND = Duration.ofSeconds(90);
    private static final String TOKEN = "console-test-token-0123456789";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;

    private static Dataset fashion;
    private static EmbeddedBroker broker;
    private static KafkaSettings settings;
    private static ClassifierApp classifier;
    private static TrainerApp trainer;
    private static IngestHttpServer http;
    private static IngestHttpServer guarded;
    private static WebDriver browser;
    private static Path shots;

    @BeforeAll
    static void start() throws Exception {
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isDirectory(data), "Fashion-MNIST is not installed at " + data
                + " (Debian package dataset-fashion-mnist)");
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "no browser: the console's browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (Debian packages chromium and chromium-driver)");
        fashion = IdxDirectoryReader.read(data, Split.TEST);
        shots = Files.createDirectories(Path.of("target", "console-screenshots"));

        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
        settings = KafkaSettings.of(broker.bootstrapServers(), "console-");
        TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
        ModelArtifact untrained = TestModels.untrained(Architecture.MLP, MODEL, 1);
        ModelManifest m = untrained.manifest();
        // Fashion-MNIST's class names, so the page shows what a user of the demo sees.
        ModelManifest named = new ModelManifest(m.name(), m.version(), m.architecture(), m.input(), m.normalization(),
                fashion.classNames(), m.training(), m.metrics(), m.parentVersion(), m.weightsSha256(), m.createdAt());
        try (KafkaProducer<String, byte[]> p = producer()) {
            p.send(new ProducerRecord<>(settings.topics().models(), MODEL,
                    ModelArtifact.of(named, untrained.weights()).toBytes())).get(30, TimeUnit.SECONDS);
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        classifier = new ClassifierApp(ClassifierConfig.defaults(broker.bootstrapServers(), settings.topics())
                .withStateDir(dir.resolve("state")), registry);
        classifier.start(Duration.ofMinutes(2));
        Dataset train = IdxDirectoryReader.read(data, Split.TRAIN).head(2000);
        TrainerConfig config = TrainerConfig.defaults(broker.bootstrapServers(), settings.topics(), MODEL)
                .withTriggers(new TriggerSettings(0, 0, 20, Duration.ofMillis(200), Duration.ZERO))
                .withGate(GateSettings.defaults().withTestImages(200, 100))
                .withRun(RunSettings.defaults().withBaseImages(1000).withMaxWallTime(Duration.ofSeconds(60)))
                .withHttp(HttpSettings.off())
                .withStateDir(dir.resolve("trainer"));
        trainer = new TrainerApp(config, new BaseData(train, fashion.head(1000)), registry);
        trainer.start();
        http = IngestHttpServer.start(settings, "127.0.0.1", 0, HttpAccess.loopbackOnly(), registry);
        guarded = IngestHttpServer.start(settings, "127.0.0.1", 0, HttpAccess.withToken(ApiToken.of(TOKEN)), registry);

        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                        "--window-size=1280,2400", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium")));
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        // Reverse order of creation.
        if (browser != null) {
            browser.quit();
        }
        for (AutoCloseable c : new AutoCloseable[] {guarded, http, trainer, classifier, broker}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // the next one still closes
                }
            }
        }
    }

    @Test
    @Order(0)
    void theFirstStreamedThumbnailWithItsLabelAppearsWithinTenSeconds() throws Exception {
        IngestService ingest = new IngestService(settings, IngestOptions.builder(DatasetLocator.DEBIAN_FASHION_MNIST
                .toString()).split(Split.TEST).count(400).rate(80).feedback(1.0, Duration.ZERO).idPrefix("stream-")
                .build(), new SimpleMeterRegistry());
        long start = System.nanoTime();
        Thread streaming = new Thread(() -> {
            try {
                ingest.run();
            } catch (Exception e) {
                // the wait below fails and says so
            }
        }, "console-it-ingest");
        streaming.start();
        browser.get("http://127.0.0.1:" + http.port() + "/");
        // The label is read in the same look as the image: the strip re-renders up to 4 times a second.
        String label = await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> {
            WebElement e = browser.findElement(By.cssSelector("#strip .card[data-id^='stream-']"));
            return e.findElement(By.tagName("img")).getAttribute("src").startsWith("data:image/png")
                    ? e.findElement(By.className("label")).getText() : "";
        }, l -> !l.isBlank());
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(java.util.Locale.ROOT, "console: first streamed thumbnail with a label after %.2f s%n", seconds);
        assertThat(fashion.classNames()).contains(label);
        assertThat(seconds).as("seconds from the start of streaming to the first labelled thumbnail").isLessThan(10.0);
        await().atMost(BOUND).ignoreExceptions().until(() ->
                browser.findElement(By.cssSelector("#timeline li.serving")).getText().contains("serving v1"));
        streaming.join(BOUND.toMillis());

        // Every image also went to feedback: the trainer's live-accuracy event draws the matrix.
        await().atMost(BOUND).ignoreExceptions().until(() ->
                browser.findElements(By.cssSelector("#confusion td.cell")).size() >= 4);
        int classes = browser.findElements(By.cssSelector("#per-class tr")).size() - 1;
        assertThat(classes).isBetween(2, 10);
        assertThat(browser.findElements(By.cssSelector("#confusion td.cell"))).hasSize(classes * classes);
        assertThat(text("matrix-note")).contains("v1");
        screenshot("section-models", "console-models.png");
    }

    @Test
    @Order(1)
    void anUploadedFashionMnistPngShowsItsLabelAndAppearsInTheStrip() throws Exception {
        open(http);
        Path png = Files.write(dir.resolve("boot.png"), ImageEncoder.png(fashion.image(0)));

        browser.findElement(By.id("upload-file")).sendKeys(png.toAbsolutePath().toString());

        WebElement label = await().atMost(BOUND).ignoreExceptions()
                .until(() -> browser.findElement(By.id("try-label")), e -> !e.getText().isBlank());
        String id = browser.findElement(By.id("try-result")).getAttribute("data-id");
        JsonNode prediction = prediction(http, id);
        assertThat(label.getText()).isEqualTo(prediction.get("label").asText());
        assertThat(fashion.classNames()).contains(label.getText());
        // The strip shows it too, with the image decoded from its record on images.
        WebElement card = await().atMost(BOUND).ignoreExceptions().until(() ->
                browser.findElement(By.cssSelector("#strip .card[data-id='" + id + "']")), e -> true);
        assertThat(card.findElement(By.tagName("img")).getAttribute("src")).startsWith("data:image/png;base64,");
        assertThat(card.findElement(By.className("label")).getText()).isEqualTo(prediction.get("label").asText());
        await().atMost(BOUND).until(() -> Long.parseLong(text("stat-predictions").replace(",", "")) >= 1);
    }

    @Test
    @Order(2)
    void aDrawingOnTheCanvasGetsAPrediction() throws Exception {
        open(http);
        WebElement canvas = browser.findElement(By.id("canvas"));
        // A trouser-like pair of strokes; the untrained model's answer is whatever it is.
        new Actions(browser).moveToElement(canvas, -30, -70).clickAndHold().moveByOffset(0, 140)
                .release().moveToElement(canvas, 30, -70).clickAndHold().moveByOffset(0, 140).release().perform();
        browser.findElement(By.id("canvas-send")).click();

        WebElement label = await().atMost(BOUND).ignoreExceptions()
                .until(() -> browser.findElement(By.id("try-label")), e -> !e.getText().isBlank());
        String id = browser.findElement(By.id("try-result")).getAttribute("data-id");
        assertThat(label.getText()).isEqualTo(prediction(http, id).get("label").asText());
        screenshot("section-try", "console-try.png");
    }

    @Test
    @Order(3)
    void correctingAPredictionRaisesTheFeedbackCount() {
        open(http);
        await().atMost(BOUND).ignoreExceptions().until(() -> !browser.findElements(By.cssSelector("#strip .wrong-btn")).isEmpty());
        long before = Long.parseLong(text("stat-feedback"));

        browser.findElement(By.cssSelector("#strip .wrong-btn")).click();
        WebElement fix = await().atMost(BOUND).ignoreExceptions()
                .until(() -> browser.findElement(By.cssSelector("#strip .fix")), WebElement::isDisplayed);
        fix.findElement(By.cssSelector(".fix-class option[value='3']")).click();
        fix.findElement(By.cssSelector(".fix-send")).click();

        await().atMost(BOUND).ignoreExceptions().until(() ->
                browser.findElement(By.cssSelector("#strip .sent")).getText().contains("feedback sent"));
        await().atMost(BOUND).until(() -> Long.parseLong(text("stat-feedback")) > before);
        screenshot("section-live", "console-live.png");
    }

    @Test
    @Order(4)
    void retrainNowShowsTheRunOnTheTimelineAndDrawsItsCurves() {
        open(http);
        browser.findElement(By.id("retrain")).click();

        await().atMost(BOUND).ignoreExceptions().until(() -> text("retrain-status").startsWith("asked"));
        await().atMost(Duration.ofMinutes(3)).ignoreExceptions().until(() -> browser.findElements(
                By.cssSelector("#timeline li.accepted, #timeline li.rejected, #timeline li.failed")).size() >= 1);
        assertThat(browser.findElements(By.cssSelector("#timeline li.started"))).isNotEmpty();
        assertThat(browser.findElements(By.cssSelector("#curves circle"))).isNotEmpty();
        assertThat(browser.findElement(By.cssSelector("#curves polyline.acc")).getAttribute("points")).isNotBlank();
        assertThat(text("curve-run")).contains("epoch");
        screenshot("section-models", "console-models.png");
    }

    @Test
    @Order(5)
    void aRejectedRecordIsListedWithItsReason() throws Exception {
        open(http);
        RecordHeaders headers = new RecordHeaders();
        ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, ImageHeaders.PNG);
        try (KafkaProducer<String, byte[]> p = producer()) {
            p.send(new ProducerRecord<>(settings.topics().images(), null, "broken-1",
                    new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3}, headers)).get(30, TimeUnit.SECONDS);
        }

        WebElement row = await().atMost(BOUND).ignoreExceptions().until(() ->
                browser.findElement(By.cssSelector("#dlq tr")), e -> e.getText().contains("broken-1"));
        assertThat(row.getText()).contains("images");
        assertThat(Long.parseLong(text("stat-dlq"))).isGreaterThanOrEqualTo(1);
        screenshot("section-dlq", "console-dlq.png");
    }

    @Test
    @Order(6)
    void withATokenThePageAsksForItOnceAndUploadsWithIt() throws Exception {
        open(guarded);
        WebElement box = await().atMost(BOUND).until(() -> browser.findElement(By.id("token-box")), WebElement::isDisplayed);
        browser.findElement(By.id("token-input")).sendKeys(TOKEN);
        browser.findElement(By.id("token-save")).click();
        assertThat(box.isDisplayed()).isFalse();
        Path png = Files.write(dir.resolve("shirt.png"), ImageEncoder.png(fashion.image(1)));

        browser.findElement(By.id("upload-file")).sendKeys(png.toAbsolutePath().toString());

        WebElement label = await().atMost(BOUND).ignoreExceptions()
                .until(() -> browser.findElement(By.id("try-label")), e -> !e.getText().isBlank());
        assertThat(fashion.classNames()).contains(label.getText());
        assertThat(browser.findElements(By.id("try-error"))).isEmpty();
    }

    private static void open(IngestHttpServer server) {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        await().atMost(BOUND).until(() -> text("conn").equals("live"));
    }

    private static String text(String id) {
        return browser.findElement(By.id(id)).getText().strip();
    }

    private static JsonNode prediction(IngestHttpServer server, String id) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/predictions/" + id + "?timeout=30000")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.mapper().readTree(r.body());
    }

    private static void screenshot(String section, String name) {
        try {
            byte[] png = browser.findElement(By.id(section)).getScreenshotAs(OutputType.BYTES);
            Files.write(shots.resolve(name), png);
        } catch (Exception e) {
            // A screenshot is for the docs; the assertions above are the test.
        }
    }

    private static KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(settings.producerProperties(), new StringSerializer(), new ByteArraySerializer());
    }
}
