package dev.osprey.trainer.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One trainer per model, enforced where it matters: a candidate judged against version N is
 * published only if N is still the newest once the publisher holds the model's transactional id.
 */
class PublishIfLatestIT {

    private static final String MODEL = "digits";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aCandidateJudgedAgainstAnOlderVersionIsNotPublished() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "pub-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelArtifact model = TestModels.untrained(Architecture.MLP, MODEL, 0);
            try (ModelPublisher publisher = new ModelPublisher(settings, "pub-it")) {
                assertThat(publisher.publishIfLatest(model, MODEL, 0, 0).version()).isEqualTo(1);
                assertThat(publisher.publishIfLatest(model, MODEL, 1, 1).version()).isEqualTo(2);

                assertThatThrownBy(() -> publisher.publishIfLatest(model, MODEL, 1, 1))
                        .isInstanceOf(StalePublishException.class)
                        .hasMessageContaining("v2 was published after this candidate was judged against v1")
                        .satisfies(e -> assertThat(((StalePublishException) e).latest()).isEqualTo(2));
                assertThat(publisher.latestVersion(MODEL)).isEqualTo(2);
            }
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void ofTwoTrainersThatJudgedAgainstTheSameVersionAtMostOnePublishes() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "race-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelArtifact model = TestModels.untrained(Architecture.MLP, MODEL, 0);
            try (ModelPublisher a = new ModelPublisher(settings, "trainer-a");
                 ModelPublisher b = new ModelPublisher(settings, "trainer-b")) {
                a.publish(model, MODEL, 0);
                for (int round = 1; round <= 3; round++) {
                    int judgedAgainst = round;
                    CountDownLatch go = new CountDownLatch(1);
                    List<CompletableFuture<Integer>> racers = new ArrayList<>();
                    for (ModelPublisher p : List.of(a, b)) {
                        racers.add(CompletableFuture.supplyAsync(() -> {
                            waitFor(go);
                            try {
                                return p.publishIfLatest(model, MODEL, judgedAgainst, judgedAgainst).version();
                            } catch (StalePublishException | KafkaException e) {
                                return -1; // stale, or fenced by the other mid-publish: nothing written
                            }
                        }));
                    }
                    go.countDown();
                    List<Integer> versions = new ArrayList<>();
                    for (CompletableFuture<Integer> r : racers) {
                        versions.add(r.get(2, TimeUnit.MINUTES));
                    }
                    assertThat(versions).as("round %d", round).containsOnlyOnce(judgedAgainst + 1)
                            .containsOnly(judgedAgainst + 1, -1);
                    // A read_committed reader sees a commit once its markers are written, a moment after
                    // commitTransaction returns; the next publisher's initTransactions waits for them.
                    await().atMost(Duration.ofSeconds(30)).until(() -> a.latestVersion(MODEL) >= judgedAgainst + 1);
                    assertThat(a.latestVersion(MODEL)).isEqualTo(judgedAgainst + 1);
                }
            }
        }
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
