package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ArtifactLimits;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.HostileModels;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ZIP bomb (a 1 MB archive whose weights inflate to 1 GiB) and an artifact with NaN weights,
 * published on a real {@code models} topic after a good version: both are refused, the good
 * version keeps classifying images, also after the classifier restarts (when the two bad records
 * are the newest on the topic), and a later good version still swaps in.
 */
class HostileModelIT {

    private static final int IMAGES = 100;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aZipBombAndNanWeightsAreRefusedAndTheGoodVersionServesAcrossARestart() throws Exception {
        ModelArtifact good = TestModels.untrained(Architecture.MLP, "digits", 1);
        byte[] bomb = HostileModels.zipBomb(good, 2, 1L << 30);
        assertThat(bomb.length).as("the bomb's archive").isLessThan(2 << 20);
        assertThat(1L << 30).as("what it inflates to").isGreaterThan(ArtifactLimits.MAX_MODEL_BYTES);
        ModelArtifact nan = HostileModels.withWeights(good, 3, Float.NaN, 1);

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "hostile-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            ClassifierConfig config = ClassifierConfig.defaults(broker.bootstrapServers(), settings.topics())
                    .withStateDir(dir.resolve("streams"));
            Map<String, Integer> versions = new HashMap<>();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                    new StringSerializer(), new ByteArraySerializer())) {
                publish(producer, settings, "digits", good.toBytes());
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                try (ClassifierApp app = new ClassifierApp(config, registry)) {
                    app.start(Duration.ofSeconds(60));
                    classify(producer, settings, "before-", versions, 1);

                    publish(producer, settings, "digits", bomb);
                    publish(producer, settings, "digits", nan.toBytes());
                    await().atMost(Duration.ofMinutes(1)).until(() -> refused(registry) == 2);
                    assertThat(app.serving()).map(ModelManifest::tag).hasValue("digits:v1");
                    assertThat(app.failure()).as("the classifier's health").isEmpty();
                    classify(producer, settings, "after-", versions, 2);
                }

                SimpleMeterRegistry again = new SimpleMeterRegistry();
                try (ClassifierApp app = new ClassifierApp(config, again)) {
                    app.start(Duration.ofSeconds(60));
                    assertThat(app.serving()).as("after a restart, with the bad records newest")
                            .map(ModelManifest::tag).hasValue("digits:v1");
                    assertThat(refused(again)).as("both refused again while catching up").isEqualTo(2);
                    classify(producer, settings, "restarted-", versions, 3);

                    publish(producer, settings, "digits", TestModels.untrained(Architecture.MLP, "digits", 4).toBytes());
                    await().atMost(Duration.ofMinutes(1))
                            .until(() -> app.serving().map(ModelManifest::version).orElse(0) == 4);
                    assertThat(app.failure()).isEmpty();
                }
            }
            assertThat(versions).hasSize(3 * IMAGES);
            assertThat(versions.values()).as("every image classified by the good v1").containsOnly(1);
        }
    }

    /**
     * Sends {@link #IMAGES} raw images with ids {@code prefix + i} and waits until all of them (and
     * those sent before) are answered in {@code predictions}; records the version of each answer.
     */
    private static void classify(KafkaProducer<String, byte[]> producer, KafkaSettings settings, String prefix,
                                 Map<String, Integer> versions, int round) throws Exception {
        Random random = new Random(round);
        for (int i = 0; i < IMAGES; i++) {
            byte[] px = new byte[784];
            random.nextBytes(px);
            RecordHeaders headers = new RecordHeaders();
            ImageHeaders.describeRaw(headers, new RawImage(28, 28, 1, px));
            producer.send(new ProducerRecord<>(settings.topics().images(), null, prefix + i, px, headers));
        }
        producer.flush();
        List<ConsumerRecord<String, byte[]>> out = OutputReader.readUntil(settings, round * IMAGES,
                Duration.ofMinutes(2));
        assertThat(out).as("no dead letters").allMatch(r -> r.topic().equals(settings.topics().predictions()));
        for (ConsumerRecord<String, byte[]> r : out) {
            versions.put(r.key(), Prediction.serde().fromBytes(r.value()).version());
        }
        assertThat(versions.keySet().stream().filter(id -> id.startsWith(prefix))).as("answered %s*", prefix)
                .hasSize(IMAGES);
    }

    private static double refused(SimpleMeterRegistry registry) {
        return registry.get("osprey.classifier.swaps").tag("outcome", "refused").counter().count();
    }

    private static void publish(KafkaProducer<String, byte[]> producer, KafkaSettings settings, String name,
                                byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(settings.topics().models(), name, value)).get(30, TimeUnit.SECONDS);
    }
}
