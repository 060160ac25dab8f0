package dev.osprey.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.topic.OspreyTopics;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

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
}
