package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's first steps against a broker with the settings Kafka ships (1 MB records, topics
 * auto-created on first use): {@code osprey train --publish} must create {@code models} itself,
 * compacted and sized for an artifact, before its producer touches it; the classifier then serves
 * the model. Client settings come from a {@code --kafka-config} file, as a user's would.
 */
class StockBrokerIT {

    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void trainPublishAndClassifyOnAStockBroker() throws Exception {
        assumeTrue(Files.isDirectory(FASHION), "Fashion-MNIST is not installed at " + FASHION
                + " (apt-get install dataset-fashion-mnist)");
        Path clientConfig = dir.resolve("client.properties");
        Files.writeString(clientConfig, "request.timeout.ms=20000\nclient.dns.lookup=use_all_dns_ips\n");
        try (EmbeddedBroker broker = EmbeddedBroker.startStock(dir.resolve("kafka"), 0)) {
            StringWriter out = new StringWriter();
            CommandLine cl = OspreyCommand.commandLine();
            cl.setOut(new PrintWriter(out, true));
            int code = cl.execute("train", "--data", FASHION.toString(), "--arch", "mlp", "--epochs", "1",
                    "--name", "stock", "--publish", "--bootstrap-servers", broker.bootstrapServers(),
                    "--kafka-config", clientConfig.toString());
            assertThat(code).as("osprey train --publish exit code").isZero();

            KafkaSettings settings = KafkaSettings.fromSources(broker.bootstrapServers(), clientConfig, List.of(),
                    Map.of());
            OspreyTopics topics = settings.topics();
            try (Admin admin = Admin.create(settings.adminProperties())) {
                ConfigResource models = new ConfigResource(ConfigResource.Type.TOPIC, topics.models());
                Config config = admin.describeConfigs(List.of(models)).all().get(30, TimeUnit.SECONDS).get(models);
                assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
                assertThat(Integer.parseInt(config.get("max.message.bytes").value()))
                        .isEqualTo(OspreyTopics.MODEL_MAX_BYTES);
                assertThat(admin.describeTopics(List.of(topics.images())).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(topics.images()).partitions()).hasSize(topics.imagePartitions());
            }

            try (ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(settings)
                    .withStateDir(dir.resolve("classifier")), new SimpleMeterRegistry());
                 PredictionWatcher watcher = new PredictionWatcher(settings, id -> true);
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                         new StringSerializer(), new ByteArraySerializer())) {
                classifier.start(Duration.ofSeconds(60));
                assertThat(classifier.serving()).hasValueSatisfying(m -> assertThat(m.tag()).isEqualTo("stock:v1"));
                watcher.start();
                for (int i = 0; i < 50; i++) {
                    producer.send(new ProducerRecord<>(topics.images(), "stock-" + i, new byte[784]));
                }
                producer.flush();
                await().atMost(Duration.ofSeconds(90)).until(() -> watcher.predictions() >= 50);
                assertThat(watcher.predictions()).isEqualTo(50);
            }
        }
    }
}
