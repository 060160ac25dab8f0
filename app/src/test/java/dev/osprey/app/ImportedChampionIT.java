package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.testing.TorchScriptFixtures;
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

/**
 * A retrain of an imported TorchScript model: the trainer cannot fine-tune it, so it trains a fresh
 * MLP on the same data, gates it against the imported champion, and the better one (here the MLP,
 * against an untrained import) serves. The verdict event says that this was the comparison.
 */
class ImportedChampionIT {

    private static final String MODEL = "digits";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void a_fresh_candidate_is_gated_against_the_imported_champion() throws Exception {
        Path pt = TorchScriptFixtures.untrainedMlp(dir, false);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "champ-");
            int imported = OspreyCommand.commandLine().execute("import", "--torchscript", pt.toString(),
                    "--name", MODEL, "--input", "1x28x28", "--classes", String.join(",", TestModels.DIGITS),
                    "--normalize", "0.2860,0.3530", "--publish", "--bootstrap-servers", broker.bootstrapServers(),
                    "--topic-prefix", "champ-");
            assertThat(imported).as("osprey import --publish exit code").isZero();
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
                int code = OspreyCommand.commandLine().execute("retrain", "--bootstrap-servers",
                        broker.bootstrapServers(), "--topic-prefix", "champ-", "--model", MODEL, "--epochs", "2",
                        "--reason", "beat the import");
                assertThat(code).isZero();

                await().atMost(Duration.ofSeconds(150)).until(() -> {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        events.add(TrainingEvent.serde().fromBytes(r.value()));
                    }
                    return events.stream().anyMatch(e -> List.of("published", "rejected", "failed").contains(e.type()));
                });
                TrainingEvent verdict = events.stream().filter(e -> e.type().equals("accepted")).findFirst()
                        .orElseThrow(() -> new AssertionError("no accepted event in " + events));
                assertThat(verdict.details()).containsEntry("importedChampion", MODEL + ":v1")
                        .containsEntry("candidateArchitecture", "mlp").containsEntry("fineTune", false);
                assertThat(verdict.message()).contains("imported torchscript champion " + MODEL + ":v1");
                assertThat(verdict.candidateScore()).as("the trained MLP on learnable bands")
                        .isGreaterThan(verdict.servingScore());
                assertThat(events).filteredOn(e -> e.type().equals("published"))
                        .singleElement().extracting(TrainingEvent::version).isEqualTo(2);
            }
            try (ModelPublisher publisher = new ModelPublisher(settings, "champ-check")) {
                ModelManifest serving = publisher.latest(MODEL).map(ModelArtifact::manifest).orElseThrow();
                assertThat(serving.version()).isEqualTo(2);
                assertThat(serving.architecture()).isEqualTo("mlp");
                assertThat(serving.parentVersion()).isEqualTo(1);
            }
        }
    }

    private static KafkaConsumer<String, byte[]> eventConsumer(KafkaSettings settings) {
        Properties p = settings.consumerProperties("champ-events-" + UUID.randomUUID());
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
