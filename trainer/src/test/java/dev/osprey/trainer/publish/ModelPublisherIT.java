package dev.osprey.trainer.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.HostileModels;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad records on a real {@code models} topic (garbage, a ZIP bomb, NaN weights, above a good
 * version): the publisher skips them for the parent, never reuses their version numbers, and keeps
 * publishing.
 */
class ModelPublisherIT {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void badNewerRecordsAreSkippedForTheParentAndTheirVersionsAreNotReused() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "pub-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ModelPublisher publisher = new ModelPublisher(settings, "test");
            ModelArtifact good = TestModels.untrained(Architecture.MLP, "digits", 0);
            assertThat(publisher.publish(good, "digits", 0).version()).isEqualTo(1);

            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                    new StringSerializer(), new ByteArraySerializer())) {
                send(producer, settings, HostileModels.withWeights(good, 2, Float.NaN, 1).toBytes());
                send(producer, settings, HostileModels.zipBomb(good, 3, 256L << 20));
                send(producer, settings, "not an artifact".getBytes());
            }

            ModelPublisher.Versions versions = publisher.versions("digits");
            assertThat(versions.newestUsable()).map(a -> a.manifest().version()).as("the NaN v2 is skipped").hasValue(1);
            assertThat(versions.highestVersion()).as("v2 parses, so its number is taken").isEqualTo(2);
            assertThat(publisher.latestVersion("digits")).isEqualTo(2);

            ModelManifest next = publisher.publish(good, "digits", 1);
            assertThat(next.version()).isEqualTo(3);
            // A read_committed reader sees a commit once its markers are written, a moment after commitTransaction.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(publisher.latest("digits"))
                    .map(a -> a.manifest().tag()).hasValue("digits:v3"));
            assertThat(publisher.latest("letters")).isEmpty();
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, KafkaSettings settings, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(settings.topics().models(), "digits", value)).get(30, TimeUnit.SECONDS);
    }
}
