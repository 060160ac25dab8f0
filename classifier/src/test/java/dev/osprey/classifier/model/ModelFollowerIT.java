package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The follower outlives what Kafka does to it: started before its topic exists, it waits and then
 * serves; after the broker goes away and comes back, it still swaps in new versions.
 */
class ModelFollowerIT {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aMissingTopicAndABrokerRestartAreWaitedOut() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = dir.resolve("kafka");
        EmbeddedBroker broker = EmbeddedBroker.start(data, port);
        KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "follow-");
        try (ModelHolder holder = new ModelHolder()) {
            ModelFollower follower = new ModelFollower(settings.modelReaderProperties(), settings.topics().models(),
                    Optional.of("digits"), holder, Device.cpu(), new ClassifierMetrics(new SimpleMeterRegistry()), 64,
                    (key, reason) -> { });
            try {
                follower.start();
                // No topic yet: the follower retries with backoff instead of dying.
                TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
                publish(settings, TestModels.untrained(Architecture.MLP, "digits", 1));
                await().atMost(Duration.ofMinutes(1)).until(() -> version(holder) == 1);
                assertThat(follower.failure()).isEmpty();

                broker.close();
                broker = EmbeddedBroker.start(data, port);
                publish(settings, TestModels.untrained(Architecture.MLP, "digits", 2));
                await().atMost(Duration.ofMinutes(2)).until(() -> version(holder) == 2);
                assertThat(follower.failure()).as("the follower after the broker came back").isEmpty();
            } finally {
                follower.close();
                broker.close();
            }
        }
    }

    private static int version(ModelHolder holder) {
        return holder.serving().map(ModelManifest::version).orElse(0);
    }

    private static void publish(KafkaSettings settings, ModelArtifact a) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(settings.topics().models(), a.manifest().name(), a.toBytes()))
                    .get(60, TimeUnit.SECONDS);
        }
    }
}
