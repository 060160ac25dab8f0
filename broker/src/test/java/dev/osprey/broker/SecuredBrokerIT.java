package dev.osprey.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker that takes only authenticated clients, as a company cluster does: each of Kafka's
 * SASL mechanisms logs in through {@link KafkaSettings} (client properties as a user's
 * {@code client.properties} would give them), a wrong password is refused in one line, and a
 * client without SASL gets nothing.
 */
@Tag("slow")
class SecuredBrokerIT {

    private static final SaslUser USER = new SaslUser("osprey-app", "s3cret-pass");

    @Test
    void everyMechanismLogsInAndWrongCredentialsAreRefused(@TempDir Path dir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.startSecured(dir, 0, USER)) {
            assertThat(broker.clientProperties()).containsEntry("sasl.mechanism", SaslUser.SCRAM_SHA_512);
            KafkaSettings scram512 = settings(broker, broker.clientProperties());
            TopicAdmin.ensureTopics(scram512);

            for (String mechanism : List.of(SaslUser.PLAIN, SaslUser.SCRAM_SHA_256, SaslUser.SCRAM_SHA_512)) {
                KafkaSettings s = settings(broker, USER.clientProperties(mechanism));
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(s.producerProperties(),
                        new StringSerializer(), new StringSerializer())) {
                    producer.send(new ProducerRecord<>(s.topics().feedback(), mechanism, "hello"))
                            .get(30, TimeUnit.SECONDS);
                }
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(scram512.readerProperties(),
                    new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> parts = consumer.partitionsFor(scram512.topics().feedback()).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                Set<String> keys = new HashSet<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (keys.size() < 3 && System.nanoTime() < deadline) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                    records.forEach(r -> keys.add(r.key()));
                }
                assertThat(keys).containsExactlyInAnyOrder(SaslUser.PLAIN, SaslUser.SCRAM_SHA_256,
                        SaslUser.SCRAM_SHA_512);
            }

            KafkaSettings wrong = settings(broker, new SaslUser(USER.name(), "not-the-password")
                    .clientProperties(SaslUser.SCRAM_SHA_512));
            assertThatThrownBy(() -> TopicAdmin.requireBroker(wrong))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageStartingWith("cannot authenticate to " + broker.bootstrapServers());

            KafkaSettings plaintext = settings(broker, Map.of());
            assertThatThrownBy(() -> TopicAdmin.requireBroker(plaintext))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining(broker.bootstrapServers());
        }
    }

    @Test
    void credentialsAreStoredAgainOnARestartOfTheSameDirectory(@TempDir Path dir) {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0)) {
            TopicAdmin.ensureTopics(settings(broker, Map.of()));
        }
        try (EmbeddedBroker broker = EmbeddedBroker.startSecured(dir, 0, USER)) {
            TopicAdmin.requireBroker(settings(broker, broker.clientProperties()));
        }
    }

    private static KafkaSettings settings(EmbeddedBroker broker, Map<String, String> client) {
        return new KafkaSettings(broker.bootstrapServers(), OspreyTopics.defaults(), client);
    }
}
