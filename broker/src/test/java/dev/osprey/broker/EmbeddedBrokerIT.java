package dev.osprey.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.osprey.core.topic.OspreyTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class EmbeddedBrokerIT {

    private static final Duration POLL_BOUND = Duration.ofSeconds(30);

    @Test
    void keepsRecordsAcrossARestartOnTheSameDirectory(@TempDir Path dataDir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0)) {
            createTopic(broker, "restart-topic");
            try (KafkaProducer<String, String> producer = producer(broker, Map.of())) {
                producer.send(new ProducerRecord<>("restart-topic", "k1", "hello")).get(30, TimeUnit.SECONDS);
            }
            assertThat(readAll(broker, "restart-topic", 1, "read_uncommitted"))
                    .extracting(ConsumerRecord::key, ConsumerRecord::value)
                    .containsExactly(tuple("k1", "hello"));
        }

        try (EmbeddedBroker again = EmbeddedBroker.start(dataDir, 0)) {
            assertThat(readAll(again, "restart-topic", 1, "read_uncommitted"))
                    .extracting(ConsumerRecord::value).containsExactly("hello");
        }
    }

    @Test
    void runsTransactionsAndAcceptsModelSizedMessages(@TempDir Path dataDir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0)) {
            createTopic(broker, "tx-topic");
            Map<String, Object> tx = Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "osprey-test-tx");
            try (KafkaProducer<String, String> producer = producer(broker, tx)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx-topic", "a", "committed"));
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx-topic", "b", "aborted"));
                producer.abortTransaction();
            }
            assertThat(readAll(broker, "tx-topic", 1, "read_committed"))
                    .extracting(ConsumerRecord::value).containsExactly("committed");

            try (Admin admin = admin(broker)) {
                ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
                Config config = admin.describeConfigs(List.of(node)).all().get(30, TimeUnit.SECONDS).get(node);
                assertThat(Integer.parseInt(config.get("message.max.bytes").value()))
                        .isGreaterThan(OspreyTopics.MODEL_MAX_BYTES + 1024 * 1024);
            }
        }
    }

    @Test
    void aBusyPortFailsTheStartWithoutStoppingTheJvm(@TempDir Path first, @TempDir Path second) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(first, 0)) {
            int port = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().lastIndexOf(':') + 1));
            assertThatThrownBy(() -> EmbeddedBroker.start(second, port))
                    .isInstanceOf(EmbeddedBrokerException.class).hasMessageContaining(second.toString()).hasMessageContaining("Address already in use");
            createTopic(broker, "still-alive");
        }
    }

    @Test
    void aDataDirectoryInUseIsRefused(@TempDir Path dataDir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0)) {
            assertThatThrownBy(() -> EmbeddedBroker.start(dataDir, 0))
                    .isInstanceOf(EmbeddedBrokerException.class).hasMessageContaining(dataDir.toString())
                    .hasMessageContaining("in use");
            assertThat(broker.fatalFault()).isEmpty();
            createTopic(broker, "still-serving");
            try (KafkaProducer<String, String> producer = producer(broker, Map.of())) {
                producer.send(new ProducerRecord<>("still-serving", "k", "v")).get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void rejectsAnInvalidPort(@TempDir Path dataDir) {
        assertThatThrownBy(() -> EmbeddedBroker.start(dataDir, 70000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("70000");
    }

    static Admin admin(EmbeddedBroker broker) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    static void createTopic(EmbeddedBroker broker, String topic) throws Exception {
        try (Admin admin = admin(broker)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    static KafkaProducer<String, String> producer(EmbeddedBroker broker, Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.putAll(extra);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    /** Reads {@code topic} from the start until {@code expected} records arrived, within a bound. */
    static List<ConsumerRecord<String, String>> readAll(EmbeddedBroker broker, String topic, int expected,
                                                        String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, POLL_BOUND).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + POLL_BOUND.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // Anything beyond the expected count (an aborted record leaking through) must show up.
            consumer.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }
}
