package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two classifier processes share the image partitions (one application id, dynamic membership)
 * on a broker with Kafka's shipped features, transactions v2 included. Each is killed with
 * {@code kill -9} in turn while images stream: the survivor takes over the dead one's partitions
 * (after the session timeout), the restarted one takes its share back, and afterwards every id
 * is on {@code predictions} or {@code images-dlq} exactly once.
 */
class ClassifierFailoverIT {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierFailoverIT.class);
    private static final int MAX_IMAGES = 99_999;
    private static final String PREFIX = "failover-";
    /** Short, so the survivor takes over within seconds; the broker's minimum is 6 s. */
    private static final String SESSION_TIMEOUT = "session.timeout.ms=8000";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aSurvivorTakesOverAndNothingIsLostOrDuplicated() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.startStock(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), PREFIX);
            try (Admin admin = Admin.create(settings.adminProperties())) {
                FeatureMetadata features = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS);
                assertThat(features.finalizedFeatures().get("transaction.version").maxVersionLevel())
                        .as("the broker runs transactions v2, Kafka's default").isEqualTo((short) 2);
            }
            TopicAdmin.ensureTopics(settings);
            ClassifierKillIT.publishModel(settings);
            try (ClassifierProcesses processes = new ClassifierProcesses(settings)) {

                // Images flow until the kills are done, so every phase has input to show progress on.
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger produced = new AtomicInteger();
                Thread producer = new Thread(() -> produced.set(processes.produceUntil(MAX_IMAGES, 250, stop)),
                        "image-producer");
                producer.start();
                Process a = start(processes, "a", 1);
                Process b = start(processes, "b", 1);
                for (int round = 1; round <= 2; round++) {
                    awaitProgress(processes);
                    LOG.info("kill -9 classifier a (round {})", round);
                    ClassifierProcesses.kill(a);
                    awaitSoleOwner(settings);
                    awaitProgress(processes);
                    a = start(processes, "a", round + 1);
                    awaitProgress(processes);
                    LOG.info("kill -9 classifier b (round {})", round);
                    ClassifierProcesses.kill(b);
                    awaitSoleOwner(settings);
                    awaitProgress(processes);
                    b = start(processes, "b", round + 1);
                }
                stop.set(true);
                producer.join();
                try {
                    int images = produced.get();
                    LOG.info("{} images were produced", images);
                    Map<String, Integer> seen = processes.readOutputsUntil(images, Duration.ofMinutes(3));
                    ClassifierProcesses.assertExactlyOnce(seen, images);
                    awaitMembers(settings, 2, "both instances share the partitions again");
                } finally {
                    for (Process p : new Process[] {a, b}) {
                        p.destroy();
                        p.waitFor(30, TimeUnit.SECONDS);
                    }
                }
            }
        }
    }

    private Process start(ClassifierProcesses processes, String instance, int run) throws Exception {
        return processes.start("failover-it-" + instance + "-" + run, dir.resolve("state-" + instance),
                "--kafka-property", SESSION_TIMEOUT);
    }

    /** Waits until the one live instance owns every image partition: it took over the dead one's. */
    private static void awaitSoleOwner(KafkaSettings settings) {
        awaitMembers(settings, 1, "the survivor owns all image partitions");
    }

    private static void awaitMembers(KafkaSettings settings, int members, String what) {
        String group = settings.topicPrefix() + ClassifierConfig.DEFAULT_APPLICATION_ID;
        String images = settings.topics().images();
        try (Admin admin = Admin.create(settings.adminProperties())) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                        .describedGroups().get(group).get(10, TimeUnit.SECONDS);
                assertThat(d.members()).as(what).hasSize(members)
                        .allSatisfy(m -> assertThat(m.assignment().topicPartitions()).as(what).isNotEmpty());
                long owned = d.members().stream().flatMap(m -> m.assignment().topicPartitions().stream())
                        .filter(tp -> tp.topic().equals(images)).count();
                assertThat(owned).as(what).isEqualTo(settings.topics().imagePartitions());
            });
        }
    }

    /** Waits until 200 more records reached the output topics. */
    private static void awaitProgress(ClassifierProcesses processes) {
        long before = processes.outputEnd();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> processes.outputEnd() > before + 200);
    }
}
