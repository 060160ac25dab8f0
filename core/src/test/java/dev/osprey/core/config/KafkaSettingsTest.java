package dev.osprey.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSettingsTest {

    @Test
    void flagWinsOverEnvironmentWhichWinsOverDefault() {
        Map<String, String> env = Map.of(KafkaSettings.ENV_BOOTSTRAP_SERVERS, "kafka:9093");
        assertThat(KafkaSettings.fromEnv("flag:1234", env).bootstrapServers()).isEqualTo("flag:1234");
        assertThat(KafkaSettings.fromEnv(null, env).bootstrapServers()).isEqualTo("kafka:9093");
        assertThat(KafkaSettings.fromEnv("  ", env).bootstrapServers()).isEqualTo("kafka:9093");
        assertThat(KafkaSettings.fromEnv(null, Map.of()).bootstrapServers()).isEqualTo("localhost:9092");
    }

    @Test
    void readsTopicPrefixAndImagePartitions() {
        KafkaSettings s = KafkaSettings.fromEnv(null, Map.of(
                KafkaSettings.ENV_TOPIC_PREFIX, "team-a.", KafkaSettings.ENV_IMAGE_PARTITIONS, "8"));
        assertThat(s.topicPrefix()).isEqualTo("team-a.");
        assertThat(s.topics().images()).isEqualTo("team-a.images");
        assertThat(s.topics().imagePartitions()).isEqualTo(8);
        assertThat(KafkaSettings.fromEnv(null, Map.of()).topics()).isEqualTo(OspreyTopics.defaults());
        assertThat(s.withTopicPrefix("t1-").topics().feedback()).isEqualTo("t1-feedback");
    }

    @Test
    void acceptsSeveralServersAndIpv6() {
        assertThat(KafkaSettings.of(" a:1, b.example.com:9092,[::1]:9092 ", "").bootstrapServers())
                .isEqualTo("a:1, b.example.com:9092,[::1]:9092");
    }

    @Test
    void namesTheSourceOfABadValue() {
        assertThatThrownBy(() -> KafkaSettings.fromEnv("nohost", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--bootstrap-servers").hasMessageContaining("'nohost'");
        assertThatThrownBy(() -> KafkaSettings.fromEnv(null, Map.of(KafkaSettings.ENV_BOOTSTRAP_SERVERS, "a:99999")))
                .hasMessageContaining(KafkaSettings.ENV_BOOTSTRAP_SERVERS).hasMessageContaining("99999");
        assertThatThrownBy(() -> KafkaSettings.fromEnv(null, Map.of(KafkaSettings.ENV_TOPIC_PREFIX, "bad prefix")))
                .hasMessageContaining(KafkaSettings.ENV_TOPIC_PREFIX).hasMessageContaining("'bad prefix'");
        assertThatThrownBy(() -> KafkaSettings.fromEnv(null, Map.of(KafkaSettings.ENV_IMAGE_PARTITIONS, "0")))
                .hasMessageContaining(KafkaSettings.ENV_IMAGE_PARTITIONS);
    }

    @Test
    void clientPropertiesCarryOspreysBaseline() {
        KafkaSettings s = KafkaSettings.of("h:1", "");
        Properties producer = s.producerProperties();
        assertThat(producer).containsEntry("bootstrap.servers", "h:1").containsEntry("acks", "all")
                .containsEntry("enable.idempotence", "true").containsEntry("compression.type", "lz4");
        assertThat(Integer.parseInt(producer.getProperty("max.request.size")))
                .isGreaterThan(OspreyTopics.MODEL_MAX_BYTES);
        assertThat(Long.parseLong(producer.getProperty("buffer.memory")))
                .isGreaterThanOrEqualTo(Long.parseLong(producer.getProperty("max.request.size")));
        assertThat(s.consumerProperties("g")).containsEntry("group.id", "g")
                .containsEntry("isolation.level", "read_committed");
        assertThat(s.adminProperties()).containsEntry("bootstrap.servers", "h:1");
    }

    @Test
    void clientPropertiesLayerFileThenEnvironmentThenFlags(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, """
                # as Kafka's own client.properties
                security.protocol=SASL_SSL
                sasl.mechanism=PLAIN
                sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
                  username="u" password="s3cret";
                request.timeout.ms=20000
                bootstrap.servers=file-host:9092
                """);
        Map<String, String> env = Map.of(
                "OSPREY_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "OSPREY_KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "",
                "OSPREY_KAFKA_LOG_LEVEL", "DEBUG");
        KafkaSettings s = KafkaSettings.fromSources(null, file, List.of("request.timeout.ms=5000"), env);

        assertThat(s.bootstrapServers()).isEqualTo("file-host:9092");
        assertThat(s.clientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.endpoint.identification.algorithm", "")
                .containsEntry("request.timeout.ms", "5000")
                .doesNotContainKey("log.level")
                .doesNotContainKey("bootstrap.servers");
        for (Properties p : List.of(s.adminProperties(), s.producerProperties(), s.consumerProperties("g"),
                s.readerProperties(), s.streamsProperties("app"))) {
            assertThat(p).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("bootstrap.servers", "file-host:9092");
        }
        assertThat(s.toString()).contains("SASL_SSL").doesNotContain("s3cret").contains("[hidden]");
    }

    @Test
    void theConfigFileCanComeFromTheEnvironmentAndFlagsStillWin(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.properties");
        Files.writeString(file, "linger.ms=50\n");
        KafkaSettings s = KafkaSettings.fromSources("flag:1", null, List.of(),
                Map.of(KafkaSettings.ENV_CONFIG_FILE, file.toString(), KafkaSettings.ENV_BOOTSTRAP_SERVERS, "env:2"));
        assertThat(s.bootstrapServers()).isEqualTo("flag:1");
        assertThat(s.producerProperties()).containsEntry("linger.ms", "50");
    }

    @Test
    void ospreyKeepsWhatCorrectnessNeeds() {
        KafkaSettings s = KafkaSettings.fromSources("h:1", null,
                List.of("isolation.level=read_uncommitted", "allow.auto.create.topics=true",
                        "enable.auto.commit=true", "group.id=theirs", "application.id=other"), Map.of());
        assertThat(s.readerProperties()).containsEntry("isolation.level", "read_committed")
                .containsEntry("enable.auto.commit", "false").doesNotContainKey("group.id");
        assertThat(s.consumerProperties("mine")).containsEntry("allow.auto.create.topics", "false")
                .containsEntry("group.id", "theirs");
        assertThat(s.streamsProperties("osprey-classifier")).containsEntry("application.id", "osprey-classifier");
    }

    @Test
    void environmentNamesMapAsContainerImagesDo() {
        assertThat(KafkaSettings.propertyName("OSPREY_KAFKA_SECURITY_PROTOCOL")).isEqualTo("security.protocol");
        assertThat(KafkaSettings.propertyName("OSPREY_KAFKA_A__B")).isEqualTo("a_b");
        assertThat(KafkaSettings.propertyName("OSPREY_KAFKA_A___B_C")).isEqualTo("a-b.c");
    }

    @Test
    void refusesMalformedClientSettingsWithTheirSource(@TempDir Path dir) {
        assertThatThrownBy(() -> KafkaSettings.fromSources(null, dir.resolve("missing.properties"), List.of(),
                Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--kafka-config").hasMessageContaining("missing.properties");
        assertThatThrownBy(() -> KafkaSettings.fromSources(null, null, List.of("novalue"), Map.of()))
                .hasMessageContaining("--kafka-property").hasMessageContaining("KEY=VALUE");
    }

    @Test
    void streamsTuningYieldsToTheUsersPlainOrPrefixedKey() {
        KafkaSettings settings = KafkaSettings.fromSources("localhost:9092", null,
                List.of("linger.ms=50", "consumer.max.poll.records=100"), Map.of());
        Properties p = settings.streamsProperties("app");
        settings.streamsDefault(p, "producer.", "linger.ms", 5);
        settings.streamsDefault(p, "consumer.", "max.poll.records", 2000);
        settings.streamsDefault(p, "producer.", "batch.size", 262144);
        // Streams lets a prefixed key win: Osprey's prefixed default would hide the user's plain one.
        assertThat(p).doesNotContainKey("producer.linger.ms").containsEntry("linger.ms", "50");
        assertThat(p).containsEntry("consumer.max.poll.records", "100");
        assertThat(p).containsEntry("producer.batch.size", 262144);
    }
}
