package dev.osprey.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TopicAdmin} lives in core, which cannot depend on the broker; it is tested here. */
@Tag("slow")
class TopicAdminIT {

    @TempDir
    static Path dataDir;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.start(dataDir, 0);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void createsEveryOspreyTopicWithItsPartitionsAndConfigs() throws Exception {
        OspreyTopics topics = new OspreyTopics("all-", 3);
        TopicAdmin.ensureTopics(broker.bootstrapServers(), topics);

        try (Admin admin = EmbeddedBrokerIT.admin(broker)) {
            List<String> names = topics.all().stream().map(TopicSpec::name).toList();
            Map<String, TopicDescription> described =
                    admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(described).containsOnlyKeys(names);
            assertThat(described.get(topics.images()).partitions()).hasSize(3);
            assertThat(described.get(topics.models()).partitions()).hasSize(1);
            // One broker: replication factor min(3, 1).
            assertThat(described.get(topics.images()).partitions().get(0).replicas()).hasSize(1);

            ConfigResource models = new ConfigResource(ConfigResource.Type.TOPIC, topics.models());
            Config config = admin.describeConfigs(List.of(models)).all().get(30, TimeUnit.SECONDS).get(models);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(config.get("max.message.bytes").value()).isEqualTo(String.valueOf(OspreyTopics.MODEL_MAX_BYTES));
        }
    }

    @Test
    void isIdempotentAndSafeForConcurrentCreators() throws Exception {
        OspreyTopics topics = new OspreyTopics("race-", 2);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Void>> creators = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                creators.add(() -> {
                    try (Admin admin = EmbeddedBrokerIT.admin(broker)) {
                        TopicAdmin.ensureTopics(admin, topics.all(), Duration.ofSeconds(30));
                    }
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(creators)) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        TopicAdmin.ensureTopics(broker.bootstrapServers(), topics);

        try (Admin admin = EmbeddedBrokerIT.admin(broker)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith("race-")).collect(Collectors.toSet());
            assertThat(existing).containsExactlyInAnyOrderElementsOf(
                    topics.all().stream().map(TopicSpec::name).toList());
        }
    }

    @Test
    void leavesAnExistingTopicAsItIs() throws Exception {
        TopicSpec small = new TopicSpec("keep-images", 1, Map.of());
        try (Admin admin = EmbeddedBrokerIT.admin(broker)) {
            TopicAdmin.ensureTopics(admin, List.of(small), Duration.ofSeconds(30));
            TopicAdmin.ensureTopics(admin, List.of(new TopicSpec("keep-images", 5, Map.of())), Duration.ofSeconds(30));
            TopicDescription d = admin.describeTopics(List.of("keep-images")).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get("keep-images");
            assertThat(d.partitions()).hasSize(1);
        }
    }
}
