package dev.osprey.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * A broker whose client listener speaks TLS, with certificates made in the test by a throw-away
 * CA: clients configured through {@link KafkaSettings} with the TLS properties a user's
 * {@code client.properties} would hold produce and read, a client that does not trust the CA (or
 * speaks plaintext) is refused in one line, and with mutual TLS a client without a certificate is.
 */
@Tag("slow")
class TlsBrokerIT {

    @Test
    void tlsClientsProduceAndReadAndUntrustingClientsAreRefused(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(Files.createDirectory(dir.resolve("certs")));
        try (EmbeddedBroker broker = EmbeddedBroker.startTls(dir.resolve("data"), 0, certs.broker(false))) {
            assertThat(broker.clientProperties()).containsEntry("security.protocol", "SSL")
                    .containsEntry("ssl.truststore.location", certs.truststore.toAbsolutePath().toString())
                    .doesNotContainKey("ssl.keystore.location");
            KafkaSettings tls = settings(broker, broker.clientProperties());
            TopicAdmin.ensureTopics(tls);
            produceAndRead(tls);

            KafkaSettings noTrust = settings(broker, Map.of("security.protocol", "SSL"));
            assertThatThrownBy(() -> TopicAdmin.requireBroker(noTrust))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageStartingWith("cannot authenticate to " + broker.bootstrapServers())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            KafkaSettings plaintext = settings(broker, Map.of());
            assertThatThrownBy(() -> TopicAdmin.requireBroker(plaintext))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining(broker.bootstrapServers());
        }
    }

    @Test
    void mutualTlsRefusesAClientWithoutACertificate(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(Files.createDirectory(dir.resolve("certs")));
        try (EmbeddedBroker broker = EmbeddedBroker.startTls(dir.resolve("data"), 0, certs.broker(true))) {
            assertThat(broker.clientProperties()).containsKey("ssl.keystore.location");
            KafkaSettings client = settings(broker, Map.of("security.protocol", "SSL",
                    "ssl.truststore.type", "PKCS12",
                    "ssl.truststore.location", certs.truststore.toString(),
                    "ssl.truststore.password", TestCertificates.PASSWORD,
                    "ssl.keystore.type", "PKCS12",
                    "ssl.keystore.location", certs.clientKeystore.toString(),
                    "ssl.keystore.password", TestCertificates.PASSWORD,
                    "ssl.key.password", TestCertificates.PASSWORD));
            TopicAdmin.ensureTopics(client);
            produceAndRead(client);

            KafkaSettings noCertificate = settings(broker, Map.of("security.protocol", "SSL",
                    "ssl.truststore.type", "PKCS12",
                    "ssl.truststore.location", certs.truststore.toString(),
                    "ssl.truststore.password", TestCertificates.PASSWORD));
            assertThatThrownBy(() -> TopicAdmin.requireBroker(noCertificate))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining(broker.bootstrapServers());
        }
    }

    private static void produceAndRead(KafkaSettings s) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(s.producerProperties(),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(s.topics().feedback(), "tls", "hello")).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(s.readerProperties(),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(s.topics().feedback()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.isEmpty() && System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                records.forEach(r -> values.add(r.value()));
            }
            assertThat(values).containsExactly("hello");
        }
    }

    private static KafkaSettings settings(EmbeddedBroker broker, Map<String, String> client) {
        return new KafkaSettings(broker.bootstrapServers(), OspreyTopics.defaults(), client);
    }
}
