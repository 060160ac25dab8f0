package dev.osprey.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.FeedbackCorrection;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.RetrainRequests;
import dev.osprey.trainer.trigger.TriggerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each of the trainer's triggers starts a run on a real broker, and triggers during a run coalesce
 * into exactly one more run. The data and models are tiny: these tests are about triggering, not
 * learning (the learning loop test in the app module is).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RetrainTriggersIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static String prefix(String name) {
        return name + "-" + PREFIXES.incrementAndGet() + "-";
    }

    @Test
    void aRecordOnTheRetrainTopicStartsARunThatPublishesTheNextVersion() throws Exception {
        KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), prefix("topic"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog events = new EventLog(settings);
             TrainerApp app = new TrainerApp(TrainerFixture.config(settings, dir.resolve("topic")),
                     TrainerFixture.base(), registry)) {
            app.start();
            RetrainRequests.send(settings, TrainerFixture.MODEL, new RetrainRequest("nightly", "ops", Map.of()));
            RetrainRequests.send(settings, "another-model", new RetrainRequest("not ours", "ops", Map.of()));

            await().atMost(WAIT).until(() -> !events.ofType("published").isEmpty());
            TrainingEvent started = events.ofType("started").get(0);
            assertThat(started.trigger()).isEqualTo("retrain-topic");
            assertThat(started.message()).contains("nightly");
            assertThat(events.ofType("epoch")).isNotEmpty();
            TrainingEvent accepted = events.ofType("accepted").get(0);
            assertThat(accepted.candidateScore()).isGreaterThan(accepted.servingScore());
            assertThat(events.ofType("published").get(0).version()).isEqualTo(2);
            assertThat(registry.get("osprey.trainer.runs").tags("trigger", "retrain-topic", "outcome", "accepted")
                    .counter().count()).isEqualTo(1.0);
            assertThat(registry.get("osprey.trainer.run.duration").timer().count()).isEqualTo(1);
            assertThat(registry.get("osprey.trainer.epoch.accuracy").tag("model", TrainerFixture.MODEL).gauge()
                    .value()).isGreaterThan(0.5);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> events.ofType("started").size() == 1);
        }
    }

    @Test
    void theCliRequestAsksForAFreshModelAndIsToldApart() throws Exception {
        KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), prefix("cli"));
        try (EventLog events = new EventLog(settings);
             TrainerApp app = new TrainerApp(TrainerFixture.config(settings, dir.resolve("cli")),
                     TrainerFixture.base(), new SimpleMeterRegistry())) {
            app.start();
            RetrainRequests.send(settings, TrainerFixture.MODEL,
                    new RetrainRequest("start over", "cli", Map.of("fresh", "true", "epochs", "3")));

            await().atMost(WAIT).until(() -> events.finishedRuns() == 1);
            assertThat(events.ofType("started").get(0).trigger()).isEqualTo("cli");
            assertThat(events.ofType("started").get(0).details()).containsEntry("fresh", true);
            assertThat(events.ofType("epoch")).hasSize(3);
            try (ModelPublisher publisher = new ModelPublisher(settings, "check-" + settings.topicPrefix())) {
                ModelArtifact v2 = publisher.latest(TrainerFixture.MODEL).orElseThrow();
                assertThat(v2.manifest().version()).isEqualTo(2);
                assertThat(v2.manifest().parentVersion()).isEqualTo(1);
                assertThat(v2.manifest().training()).containsEntry("fineTune", false).containsEntry("trigger", "cli");
            }
        }
    }

    @Test
    void postRetrainStartsARunAndNeedsTheToken() throws Exception {
        KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), prefix("http"));
        TrainerConfig config = TrainerFixture.config(settings, dir.resolve("http"))
                .withHttp(new HttpSettings("127.0.0.1", 0, HttpAccess.withToken(ApiToken.of("s3cret"))));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (EventLog events = new EventLog(settings);
             TrainerApp app = new TrainerApp(config, TrainerFixture.base(), new SimpleMeterRegistry())) {
            app.start();
            URI retrain = URI.create("http://127.0.0.1:" + app.httpPort().orElseThrow() + "/retrain");

            HttpResponse<String> denied = client.send(post(retrain, null), HttpResponse.BodyHandlers.ofString());
            assertThat(denied.statusCode()).isEqualTo(401);
            HttpResponse<String> wrongModel = client.send(post(URI.create(retrain + "?model=other"), "s3cret"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(wrongModel.statusCode()).isEqualTo(404);
            HttpResponse<String> accepted = client.send(post(URI.create(retrain + "?reason=dashboard"), "s3cret"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).isEqualTo(202);
            assertThat(Json.mapper().readTree(accepted.body()).get("submission").asText()).isEqualTo("scheduled");

            await().atMost(WAIT).until(() -> events.finishedRuns() == 1);
            assertThat(events.ofType("started").get(0).trigger()).isEqualTo("http");
            assertThat(events.ofType("started").get(0).message()).contains("dashboard");
            HttpResponse<String> status = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + app.httpPort().orElseThrow() + "/status"))
                    .header("Authorization", "Bearer s3cret").timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(Json.mapper().readTree(status.body()).get("lastRun").get("trigger").asText())
                    .isEqualTo("http");
        }
    }

    @Test
    void everyNFeedbackExamplesStartARunAndCorrectionsJoinTheirImages() throws Exception {
        KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), prefix("count"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainerConfig config = TrainerFixture.config(settings, dir.resolve("count"))
                .withTriggers(new TriggerSettings(30, 0, 20, Duration.ofMillis(200), Duration.ZERO));
        Random random = new Random(7);
        try (EventLog events = new EventLog(settings);
             TrainerApp app = new TrainerApp(config, TrainerFixture.base(), registry);
             KafkaProducer<String, byte[]> producer = TrainerFixture.producer(settings)) {
            app.start();
            for (int i = 0; i < 20; i++) {
                int label = i % 10;
                TrainerFixture.send(producer, settings.topics().feedback(), "fb-" + i,
                        TrainerFixture.image(label, random), TrainerFixture.rawHeaders(label));
            }
            await().atMost(WAIT).until(() -> app.examplesStored() == 20);
            assertThat(events.ofType("started")).isEmpty();
            for (int i = 0; i < 10; i++) {
                String id = "img-" + i;
                TrainerFixture.send(producer, settings.topics().images(), id, TrainerFixture.image(i, random),
                        TrainerFixture.rawHeaders(-1));
                TrainerFixture.send(producer, settings.topics().feedback(), id,
                        FeedbackCorrection.serde().toBytes(new FeedbackCorrection(id, i, "alice")), json());
            }

            await().atMost(WAIT).until(() -> events.finishedRuns() == 1);
            assertThat(app.examplesStored()).isEqualTo(30);
            TrainingEvent started = events.ofType("started").get(0);
            assertThat(started.trigger()).isEqualTo("feedback-count");
            assertThat(started.message()).contains("30 new feedback examples");
            assertThat(registry.get("osprey.trainer.feedback.received").tag("kind", "image").counter().count())
                    .isEqualTo(20.0);
            assertThat(registry.get("osprey.trainer.feedback.received").tag("kind", "correction").counter().count())
                    .isEqualTo(10.0);
            TrainingEvent verdict = events.all().stream()
                    .filter(e -> e.type().equals("accepted") || e.type().equals("rejected")).findFirst().orElseThrow();
            assertThat(verdict.details()).containsEntry("feedback", 30);
        }
    }

    @Test
    void liveAccuracyBelowTheThresholdStartsARun() throws Exception {
        KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), prefix("live"));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainerConfig config = TrainerFixture.config(settings, dir.resolve("live"))
                .withTriggers(new TriggerSettings(0, 0.5, 20, Duration.ofMillis(200), Duration.ZERO));
        Random random = new Random(8);
        try (EventLog events = new EventLog(settings);
             TrainerApp app = new TrainerApp(config, TrainerFixture.base(), registry);
             KafkaProducer<String, byte[]> producer = TrainerFixture.producer(settings)) {
            app.start();
            // A classifier that is right 5 times in 20: live accuracy 0.25 < 0.5.
            for (int i = 0; i < 20; i++) {
                String id = "live-" + i;
                int truth = i % 10;
                int predicted = i % 4 == 0 ? truth : (truth + 1) % 10;
                TrainerFixture.send(producer, settings.topics().predictions(), id, Prediction.serde().toBytes(
                        new Prediction(id, predicted, "c", 0.5, List.of(), TrainerFixture.MODEL, 1, null, 0, 0, 0)),
                        new RecordHeaders());
                TrainerFixture.send(producer, settings.topics().feedback(), id, TrainerFixture.image(truth, random),
                        TrainerFixture.rawHeaders(truth));
            }

            await().atMost(WAIT).until(() -> events.finishedRuns() == 1);
            TrainingEvent started = events.ofType("started").get(0);
            assertThat(started.trigger()).isEqualTo("live-accuracy");
            assertThat(started.message()).contains("0.2500");
            assertThat(registry.get("osprey.trainer.live.accuracy")
                    .tags("model", TrainerFixture.MODEL, "version", "1").gauge().value()).isEqualTo(0.25);
            @SuppressWarnings("unchecked")
            Map<String, Object> live = (Map<String, Object>) started.details().get("live");
            assertThat(live).containsEntry("version", 1).containsEntry("outcomes", 20);
        }
    }

    @Test
    void triggersTogetherMakeOneRunAndTriggersDuringARunMakeExactlyOneMore() throws Exception {
        KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), prefix("coalesce"));
        // Runs long enough (seconds) for triggers to arrive during one; a coalescing delay long
        // enough for a burst of requests to land in it even on a busy machine.
        TrainerConfig config = TrainerFixture.config(settings, dir.resolve("coalesce"))
                .withTriggers(new TriggerSettings(0, 0, 20, Duration.ofSeconds(3), Duration.ZERO))
                .withRun(RunSettings.defaults().withEpochs(4).withBaseImages(1500)
                        .withMaxWallTime(Duration.ofSeconds(60)))
                .withHttp(new HttpSettings("127.0.0.1", 0, HttpAccess.loopbackOnly()));
        BaseData base = new BaseData(TrainerFixture.images("synthetic/train", 150, 1), TrainerFixture.base().test());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (EventLog events = new EventLog(settings);
             TrainerApp app = new TrainerApp(config, base, new SimpleMeterRegistry())) {
            app.start();
            URI retrain = URI.create("http://127.0.0.1:" + app.httpPort().orElseThrow() + "/retrain");
            assertThat(submissions(client, retrain, "burst", 3)).containsExactlyInAnyOrder("scheduled", "merged",
                    "merged");

            await().atMost(WAIT).until(() -> events.ofType("started").size() == 1);
            List<String> duringRun = submissions(client, retrain, "during", 4);
            assertThat(events.finishedRuns()).as("the first run was still going").isZero();
            assertThat(duringRun).containsExactlyInAnyOrder("queued", "coalesced", "coalesced", "coalesced");

            await().atMost(WAIT).until(() -> events.finishedRuns() == 2);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6))
                    .until(() -> events.ofType("started").size() == 2);
            assertThat(events.ofType("started").get(0).message()).contains("burst-0", "burst-1", "burst-2");
            assertThat(events.ofType("started").get(1).message()).contains("during-0", "during-1", "during-2",
                    "during-3");
        }
    }

    /** Sends {@code n} requests at once; returns what became of each. */
    private static List<String> submissions(HttpClient client, URI retrain, String reason, int n) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sent.add(client.sendAsync(post(URI.create(retrain + "?reason=" + reason + "-" + i), null),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<String> out = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(202);
            out.add(Json.mapper().readTree(r.body()).get("submission").asText());
        }
        return out;
    }

    private static HttpRequest post(URI uri, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    private static Headers json() {
        Headers h = new RecordHeaders();
        ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, FeedbackCorrection.CONTENT_TYPE);
        return h;
    }
}
