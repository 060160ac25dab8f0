package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scaling as an operator does it, on 8 partitions with dynamic membership: one classifier process,
 * then three while images stream, then one is stopped gracefully (SIGTERM) and another killed
 * ({@code kill -9}), leaving one. Every id is answered exactly once, and the time until the
 * remaining instances own every partition again is logged for each kind of stop.
 */
class ClassifierScalingIT {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierScalingIT.class);
    private static final String PREFIX = "scale-";
    private static final int PARTITIONS = 8;
    private static final String SESSION_TIMEOUT = "session.timeout.ms=8000";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void scaleOutToThreeAndBackToOneLosesAndDuplicatesNothing() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = new KafkaSettings(broker.bootstrapServers(),
                    new OspreyTopics(PREFIX, PARTITIONS));
            TopicAdmin.ensureTopics(settings);
            ClassifierKillIT.publishModel(settings);
            try (ClassifierProcesses processes = new ClassifierProcesses(settings)) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger produced = new AtomicInteger();
                Thread producer = new Thread(() -> produced.set(processes.produceUntil(99_999, 250, stop)),
                        "image-producer");
                producer.start();

                Process a = start(processes, "a");
                awaitProgress(processes);
                Process b = start(processes, "b");
                Process c = start(processes, "c");
                awaitOwners(settings, 3);
                awaitProgress(processes);

                LOG.info("SIGTERM classifier b");
                long t = System.nanoTime();
                b.destroy();
                assertThat(b.waitFor(60, TimeUnit.SECONDS)).as("b stops on SIGTERM").isTrue();
                awaitOwners(settings, 2);
                LOG.info("after a graceful stop the two others owned every partition {} ms later",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
                awaitProgress(processes);

                LOG.info("kill -9 classifier c");
                t = System.nanoTime();
                ClassifierProcesses.kill(c);
                awaitOwners(settings, 1);
                LOG.info("after kill -9 the survivor owned every partition {} ms later",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
                awaitProgress(processes);

                stop.set(true);
                producer.join();
                int images = produced.get();
                LOG.info("{} images were produced", images);
                Map<String, Integer> seen = processes.readOutputsUntil(images, Duration.ofMinutes(3));
                ClassifierProcesses.assertExactlyOnce(seen, images);
                a.destroy();
                a.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private Process start(ClassifierProcesses processes, String instance) throws Exception {
        return processes.start("scaling-it-" + instance, dir.resolve("state-" + instance),
                "--kafka-property", SESSION_TIMEOUT);
    }

    /** Waits until exactly {@code members} instances hold the image partitions between them, all of them. */
    private static void awaitOwners(KafkaSettings settings, int members) {
        String group = settings.topicPrefix() + ClassifierConfig.DEFAULT_APPLICATION_ID;
        String images = settings.topics().images();
        try (Admin admin = Admin.create(settings.adminProperties())) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                        .describedGroups().get(group).get(10, TimeUnit.SECONDS);
                assertThat(d.members()).hasSize(members)
                        .allSatisfy(m -> assertThat(m.assignment().topicPartitions()).isNotEmpty());
                assertThat(d.members().stream().flatMap(m -> m.assignment().topicPartitions().stream())
                        .filter(tp -> tp.topic().equals(images)).count()).isEqualTo(PARTITIONS);
            });
        }
    }

    private static void awaitProgress(ClassifierProcesses processes) {
        long before = processes.outputEnd();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> processes.outputEnd() > before + 200);
    }
}
