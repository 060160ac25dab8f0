package dev.osprey.trainer.shadow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicReader;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.TrainingEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer restarted while a challenger runs in shadow: the challenger is on {@code models}, the
 * counts were in the old process. The new trainer takes it over and judges it afresh (shadow), or
 * retires it (offline), so classifiers never score a challenger nobody judges.
 */
class ShadowResumeIT {

    private static final String MODEL = "digits";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final InputSpec GRAY = new InputSpec(1, 28, 28);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aRestartedShadowTrainerTakesOverTheChallengerAndPromotesItOnNewEvidence() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "resume-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            try (ModelPublisher publisher = new ModelPublisher(settings, "resume-it")) {
                publishChampionAndChallenger(publisher);
                assertThat(publisher.challenger(MODEL)).map(a -> a.manifest().version()).contains(2);

                // The "restarted" trainer: a fresh trial with nothing in memory.
                try (TrainingEvents events = new TrainingEvents(settings.eventProducerProperties(),
                        settings.topics().trainingEvents());
                     ShadowTrial trial = new ShadowTrial(MODEL, ShadowSettings.shadowScoring().withImages(40, 400),
                             publisher, events)) {
                    trial.resume();
                    await().atMost(WAIT).until(() -> trial.challenger().isPresent());
                    assertThat(trial.challenger()).map(ModelManifest::version).contains(2);
                    assertThat(trial.status()).containsEntry("championVersion", 1).containsEntry("pairs", 0L);

                    // Pairs from a champion other than v1 (say, an older one still serving) do not count.
                    trial.pair(new ShadowPair(MODEL, 7, 2, 3, 3, 3));
                    assertThat(trial.status()).containsEntry("pairs", 0L);
                    // 40 labelled images: the challenger right on all, the champion on 10 of them.
                    for (int i = 0; i < 40; i++) {
                        int label = i % 10;
                        trial.pair(new ShadowPair(MODEL, 1, 2, label, i < 10 ? label : (label + 1) % 10, label));
                    }
                    await().atMost(WAIT).until(() -> publisher.challenger(MODEL).isEmpty());
                    assertThat(publisher.latest(MODEL)).map(a -> a.manifest().version()).contains(2);

                    List<TrainingEvent> seen = events(settings);
                    assertThat(seen).filteredOn(e -> e.type().equals(ShadowTrial.STARTED)).singleElement()
                            .satisfies(e -> {
                                assertThat(e.version()).isEqualTo(2);
                                assertThat(e.details()).containsEntry("resumed", true)
                                        .containsEntry("championVersion", 1);
                                assertThat(e.message()).contains("left in shadow by an earlier trainer");
                            });
                    await().atMost(WAIT).until(() -> events(settings).stream()
                            .anyMatch(e -> e.type().equals(ShadowTrial.PROMOTED)));
                    assertThat(events(settings)).filteredOn(e -> e.type().equals(ShadowTrial.PROMOTED))
                            .singleElement().satisfies(e -> {
                                assertThat(e.version()).isEqualTo(2);
                                assertThat(e.details()).containsEntry("pairs", 40);
                            });
                }
            }
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void anOfflineTrainerRetiresAChallengerLeftInShadow() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "leftover-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            try (ModelPublisher publisher = new ModelPublisher(settings, "leftover-it");
                 TrainingEvents events = new TrainingEvents(settings.eventProducerProperties(),
                         settings.topics().trainingEvents())) {
                ShadowTrial.retireLeftOver(MODEL, publisher, events); // nothing there: nothing written
                assertThat(events(settings)).isEmpty();

                publishChallengerOvertaken(publisher);
                ShadowTrial.retireLeftOver(MODEL, publisher, events); // overtaken by v3: classifiers drop it
                assertThat(events(settings)).isEmpty();

                ModelArtifact next = TestModels.untrained(Architecture.MLP, MODEL, 0, GRAY, 4);
                publisher.publishChallenger(next, MODEL, 3, 3); // v4 in shadow
                ShadowTrial.retireLeftOver(MODEL, publisher, events);
                assertThat(publisher.challenger(MODEL)).isEmpty();
                assertThat(publisher.latest(MODEL)).map(a -> a.manifest().version()).contains(3);
                assertThat(events(settings)).singleElement().satisfies(e -> {
                    assertThat(e.type()).isEqualTo(ShadowTrial.RETIRED);
                    assertThat(e.version()).isEqualTo(4);
                    assertThat(e.message()).contains("--promotion offline");
                });
            }
        }
    }

    private static void publishChampionAndChallenger(ModelPublisher publisher) {
        ModelArtifact v1 = TestModels.untrained(Architecture.MLP, MODEL, 0);
        assertThat(publisher.publish(v1, MODEL, 0).version()).isEqualTo(1);
        ModelArtifact candidate = TestModels.untrained(Architecture.MLP, MODEL, 0, GRAY, 2);
        assertThat(publisher.publishChallenger(candidate, MODEL, 1, 1).version()).isEqualTo(2);
    }

    /** v1 champion, v2 challenger, then v3 published as champion over it (never promoted nor retired). */
    private static void publishChallengerOvertaken(ModelPublisher publisher) {
        publishChampionAndChallenger(publisher);
        assertThat(publisher.publish(TestModels.untrained(Architecture.MLP, MODEL, 0), MODEL, 1).version())
                .isEqualTo(3);
        assertThat(publisher.challenger(MODEL)).isEmpty();
    }

    private static List<TrainingEvent> events(KafkaSettings settings) {
        List<TrainingEvent> out = new ArrayList<>();
        try (TopicReader reader = new TopicReader(settings.readerProperties())) {
            reader.assignAll(settings.topics().trainingEvents(), WAIT);
            reader.readToEnd(WAIT, () -> true, r -> out.add(TrainingEvent.serde().fromBytes(r.value())));
        }
        return out;
    }
}
