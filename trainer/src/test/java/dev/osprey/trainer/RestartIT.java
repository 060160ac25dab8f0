package dev.osprey.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.trigger.TriggerRequest;
import dev.osprey.trainer.trigger.TriggerSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What survives a restart: the feedback (Kafka holds it; the local store is rebuilt from its
 * changelog into an empty state directory) and the version sequence (read from {@code models}).
 * And what a stop in the middle of a run leaves: nothing published.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RestartIT {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void aRestartedTrainerStillHasItsFeedbackAndPublishesTheNextVersion() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), "restart-");
            try (EventLog events = new EventLog(settings)) {
                try (TrainerApp first = new TrainerApp(TrainerFixture.config(settings, dir.resolve("state-1")),
                        TrainerFixture.base(), new SimpleMeterRegistry());
                     KafkaProducer<String, byte[]> producer = TrainerFixture.producer(settings)) {
                    first.start();
                    Random random = new Random(3);
                    for (int i = 0; i < 30; i++) {
                        TrainerFixture.send(producer, settings.topics().feedback(), "fb-" + i,
                                TrainerFixture.image(i % 10, random), TrainerFixture.rawHeaders(i % 10));
                    }
                    await().atMost(WAIT).until(() -> first.examplesStored() == 30);
                    first.retrain(TriggerRequest.of(TriggerSource.HTTP, "before the restart"));
                    await().atMost(WAIT).until(() -> events.finishedRuns() == 1);
                }
                assertThat(events.ofType("published")).singleElement().extracting(TrainingEvent::version)
                        .isEqualTo(2);

                // A new, empty state directory: everything must come back from Kafka.
                try (TrainerApp second = new TrainerApp(TrainerFixture.config(settings, dir.resolve("state-2")),
                        TrainerFixture.base(), new SimpleMeterRegistry())) {
                    second.start();
                    second.retrain(TriggerRequest.of(TriggerSource.RETRAIN_TOPIC,
                            new RetrainRequest("after the restart", "test", Map.of("fresh", "true"))));
                    await().atMost(WAIT).until(() -> events.finishedRuns() == 2);
                }
                TrainingEvent verdict = events.ofType("accepted").get(1);
                assertThat(verdict.details()).containsEntry("feedback", 30);
                assertThat(events.ofType("published")).extracting(TrainingEvent::version).containsExactly(2, 3);
            }
        }
    }

    @Test
    void aTrainerStoppedInTheMiddleOfARunPublishesNothing() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = TrainerFixture.prepare(broker.bootstrapServers(), "stop-");
            TrainerConfig config = TrainerFixture.config(settings, dir.resolve("state"))
                    .withRun(RunSettings.defaults().withEpochs(200).withBaseImages(1500)
                            .withMaxWallTime(Duration.ofMinutes(5)));
            BaseData base = new BaseData(TrainerFixture.images("synthetic/train", 150, 1), TrainerFixture.base().test());
            try (EventLog events = new EventLog(settings)) {
                try (TrainerApp app = new TrainerApp(config, base, new SimpleMeterRegistry())) {
                    app.start();
                    app.retrain(TriggerRequest.of(TriggerSource.HTTP, "a long one"));
                    await().atMost(WAIT).until(() -> !events.ofType("epoch").isEmpty());
                }
                await().atMost(WAIT).until(() -> events.finishedRuns() == 1);
                TrainingEvent failed = events.ofType("failed").get(0);
                assertThat(failed.message()).contains("interrupted");
                assertThat(events.ofType("published")).isEmpty();
            }
            try (ModelPublisher publisher = new ModelPublisher(settings, "stop-check")) {
                assertThat(publisher.latestVersion(TrainerFixture.MODEL)).isEqualTo(1);
            }
        }
    }
}
