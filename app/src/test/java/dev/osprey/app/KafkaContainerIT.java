package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The pipeline against the official {@code apache/kafka} image, as the design names
 * Testcontainers: topics, a model, the classifier and 100 images. It never replaces the
 * embedded-broker tests, and it is skipped where no Docker engine runs (as on the build
 * machines, which have only the Docker client).
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.1");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void classifiesImagesOnTheOfficialImage() throws Exception {
        KafkaSettings settings = KafkaSettings.of(KAFKA.getBootstrapServers(), "tc-");
        TopicAdmin.ensureTopics(settings);
        ClassifierKillIT.publishModel(settings);
        try (ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(settings)
                .withStateDir(dir.resolve("classifier")), new SimpleMeterRegistry());
             PredictionWatcher watcher = new PredictionWatcher(settings, id -> true);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                     new StringSerializer(), new ByteArraySerializer())) {
            classifier.start(Duration.ofSeconds(60));
            watcher.start();
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(settings.topics().images(), "tc-" + i, new byte[784]));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(90)).until(() -> watcher.predictions() >= 100);
            assertThat(watcher.predictions()).isEqualTo(100);
        }
    }
}
