package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.TrainerApp;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code osprey retrain} against a real broker: the trainer runs, and knows the request came from the CLI. */
class RetrainCommandIT {

    private static final String MODEL = "digits";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theCommandMakesTheTrainerRetrainFromScratch() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "cli-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            try (ModelPublisher publisher = new ModelPublisher(settings, "cli-seed")) {
                publisher.publish(TestModels.untrained(Architecture.MLP, MODEL, 0), MODEL, 0);
            }
            TrainerConfig config = TrainerConfig.defaults(broker.bootstrapServers(), settings.topics(), MODEL)
                    .withTriggers(new TriggerSettings(0, 0, 20, Duration.ofMillis(200), Duration.ZERO))
                    .withGate(GateSettings.defaults().withTestImages(60, 40))
                    .withRun(RunSettings.defaults().withBaseImages(400).withMaxWallTime(Duration.ofSeconds(30)))
                    .withHttp(HttpSettings.off())
                    .withStateDir(dir.resolve("trainer"));
            BaseData base = new BaseData(bands("train", 40, 1), bands("test", 10, 2));
            List<TrainingEvent> events = new CopyOnWriteArrayList<>();
            try (TrainerApp trainer = new TrainerApp(config, base, new SimpleMeterRegistry());
                 KafkaConsumer<String, byte[]> consumer = eventConsumer(settings)) {
                trainer.start();
                StringWriter out = new StringWriter();
                CommandLine cl = OspreyCommand.commandLine();
                cl.setOut(new PrintWriter(out, true));
                int code = cl.execute("retrain", "--bootstrap-servers", broker.bootstrapServers(), "--topic-prefix",
                        "cli-", "--model", MODEL, "--fresh", "--epochs", "2", "--reason", "from the test");
                assertThat(code).isZero();

                await().atMost(Duration.ofSeconds(120)).until(() -> {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        events.add(TrainingEvent.serde().fromBytes(r.value()));
                    }
                    return events.stream().anyMatch(e -> e.type().equals("published") || e.type().equals("failed"));
                });
                TrainingEvent started = events.stream().filter(e -> e.type().equals("started")).findFirst()
                        .orElseThrow();
                assertThat(started.trigger()).isEqualTo("cli");
                assertThat(started.message()).contains("from the test");
                assertThat(started.details()).containsEntry("fresh", true);
                assertThat(events).filteredOn(e -> e.type().equals("epoch")).hasSize(2);
                assertThat(events).filteredOn(e -> e.type().equals("published"))
                        .singleElement().extracting(TrainingEvent::version).isEqualTo(2);
            }
        }
    }

    private static KafkaConsumer<String, byte[]> eventConsumer(KafkaSettings settings) {
        Properties p = settings.consumerProperties("cli-events-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(settings.topics().trainingEvents()));
        return c;
    }

    /** Learnable 28x28 images: a bright band whose row is the class. */
    private static Dataset bands(String name, int perClass, long seed) {
        Random random = new Random(seed);
        int n = perClass * 10;
        byte[] px = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            for (int p = 0; p < 784; p++) {
                int row = p / 28;
                boolean band = row >= 2 * labels[i] + 4 && row < 2 * labels[i] + 6;
                px[i * 784 + p] = (byte) (band ? 200 + random.nextInt(56) : random.nextInt(60));
            }
        }
        return new Dataset(name, 28, 28, 1, px, labels, TestModels.DIGITS);
    }
}
