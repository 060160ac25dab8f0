package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.LocalCluster;
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
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker failure as operators meet it: three Kafka nodes, each its own JVM (replication 3,
 * {@code min.insync.replicas} 2), one classifier process. While images stream, the node that
 * leads the first {@code images} partition is killed with {@code kill -9}; the pipeline must go on
 * by itself on the other two, and after the node is started again every id is answered exactly
 * once. The pause after the kill (until the outputs grow again) is logged.
 */
class BrokerFailureIT {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerFailureIT.class);
    private static final String PREFIX = "bf-";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void theLeadersBrokerDiesAndNothingIsLostOrDuplicated() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), 3)) {
            KafkaSettings settings = cluster.settings(PREFIX);
            TopicAdmin.ensureTopics(settings);
            try (Admin admin = Admin.create(settings.adminProperties())) {
                ConfigResource images = new ConfigResource(ConfigResource.Type.TOPIC, settings.topics().images());
                Config config = admin.describeConfigs(List.of(images)).all().get(30, TimeUnit.SECONDS).get(images);
                assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
            }
            ClassifierKillIT.publishModel(settings);
            try (ClassifierProcesses processes = new ClassifierProcesses(settings)) {

                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger produced = new AtomicInteger();
                Thread producer = new Thread(() -> produced.set(processes.produceUntil(99_999, 250, stop)),
                        "image-producer");
                producer.start();
                Process classifier = processes.start("broker-failure-it-classifier", dir.resolve("state"));
                try {
                    awaitProgress(processes, Duration.ofSeconds(90));
                    int victim = cluster.leaderOf(new TopicPartition(settings.topics().images(), 0));
                    LOG.info("kill -9 Kafka node {} (leader of {}-0)", victim, settings.topics().images());
                    long killed = System.nanoTime();
                    cluster.kill(victim);
                    awaitProgress(processes, Duration.ofSeconds(120));
                    long pauseMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    LOG.info("pipeline answered again {} ms after the broker was killed", pauseMs);
                    awaitProgress(processes, Duration.ofSeconds(60)); // and keeps going on two nodes
                    cluster.startNode(victim);
                    cluster.awaitBrokers(3, Duration.ofSeconds(90));
                    awaitProgress(processes, Duration.ofSeconds(90));
                    stop.set(true);
                    producer.join();
                    int count = produced.get();
                    LOG.info("{} images were produced", count);
                    Map<String, Integer> seen = processes.readOutputsUntil(count, Duration.ofMinutes(3));
                    ClassifierProcesses.assertExactlyOnce(seen, count);
                } finally {
                    stop.set(true);
                    classifier.destroy();
                    classifier.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Waits until 200 more records reached the output topics; offsets can be unreadable while a leader moves. */
    private static void awaitProgress(ClassifierProcesses processes, Duration limit) {
        long before = await().atMost(limit).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(processes::outputEnd, end -> true);
        await().atMost(limit).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> processes.outputEnd() > before + 200);
    }
}
