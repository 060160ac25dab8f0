package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.ClassNames;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TorchScriptFixtures;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's round trip: PyTorch (Debian's python3-torch) trains the tutorial MLP on the real
 * Fashion-MNIST and exports it with {@code torch.jit.trace}; {@code osprey import --publish} puts it
 * on {@code models}; a real classifier on a real broker serves it. Its live accuracy on 2,000 test
 * images must be PyTorch's own on the same images within half a point. Then a model Osprey trained
 * replaces it while images flow, and no image is lost or answered twice.
 */
class TorchScriptRoundTripIT {

    private static final String MODEL = "tutorial";
    private static final int TEST_IMAGES = 2_000;
    // A bound on the images sent around the swap; the test stops sending 500 after the new model serves.
    private static final int MAX_SWAP_IMAGES = 50_000;
    // Half an epoch of PyTorch training: about 80% accuracy, in well under a minute on two cores.
    private static final String TRAIN_IMAGES = "30000";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void pytorchs_own_accuracy_is_served_and_a_swap_to_an_osprey_model_loses_nothing() throws Exception {
        Path data = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeThat(Files.isDirectory(data)).as("Fashion-MNIST at " + data + " (Debian's dataset-fashion-mnist)")
                .isTrue();
        Path pt = dir.resolve("tutorial.pt");
        JsonNode pytorch = Json.mapper().readTree(TorchScriptFixtures.export(pt, "--data", data.toString(),
                "--train-images", TRAIN_IMAGES, "--eval", String.valueOf(TEST_IMAGES)));
        double pytorchAccuracy = pytorch.get("accuracy").asDouble();
        assertThat(pytorch.get("images").asInt()).isEqualTo(TEST_IMAGES);
        Dataset test = Datasets.load(data, Split.TEST).head(TEST_IMAGES);

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "rt-");
            int imported = OspreyCommand.commandLine().execute("import", "--torchscript", pt.toString(),
                    "--name", MODEL, "--input", "1x28x28", "--classes", String.join(",", ClassNames.FASHION_MNIST),
                    "--normalize", pytorch.get("mean").asText() + "," + pytorch.get("std").asText(),
                    "--publish", "--bootstrap-servers", broker.bootstrapServers(), "--topic-prefix", "rt-");
            assertThat(imported).as("osprey import --publish exit code").isZero();

            ClassifierConfig config = ClassifierConfig.defaults(broker.bootstrapServers(), settings.topics())
                    .withStateDir(dir.resolve("streams"));
            try (ClassifierApp app = new ClassifierApp(config, new SimpleMeterRegistry());
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                         new StringSerializer(), new ByteArraySerializer())) {
                app.start(Duration.ofSeconds(60));
                for (int i = 0; i < TEST_IMAGES; i++) {
                    send(producer, settings, "test-" + i, test.image(i));
                }
                producer.flush();
                Map<String, List<Prediction>> answers = readUntil(settings, TEST_IMAGES, Duration.ofMinutes(2));
                int correct = 0;
                for (int i = 0; i < TEST_IMAGES; i++) {
                    List<Prediction> p = answers.get("test-" + i);
                    assertThat(p).as("predictions of test-%d", i).hasSize(1);
                    assertThat(p.get(0).version()).isEqualTo(1);
                    assertThat(p.get(0).model()).isEqualTo(MODEL);
                    correct += p.get(0).classIndex() == test.label(i) ? 1 : 0;
                }
                double live = (double) correct / TEST_IMAGES;
                System.out.printf(Locale.ROOT, "round trip: PyTorch %.4f, Osprey live %.4f on %d test images%n",
                        pytorchAccuracy, live, TEST_IMAGES);
                assertThat(live).as("live accuracy vs PyTorch's %.4f", pytorchAccuracy)
                        .isCloseTo(pytorchAccuracy, org.assertj.core.data.Offset.offset(0.005));

                swapWhileImagesFlow(app, settings, producer, data, test);
            }
        }
    }

    /**
     * Publishes an Osprey-trained MLP as v2 while images flow, and keeps them flowing until v2 serves
     * and 500 more went out: every image gets exactly one answer, and the last ones come from v2.
     */
    private void swapWhileImagesFlow(ClassifierApp app, KafkaSettings settings, KafkaProducer<String, byte[]> producer,
                                     Path data, Dataset test) throws Exception {
        Dataset train = Datasets.load(data, Split.TRAIN).head(6_000);
        TrainingSpec spec = TrainingSpec.defaults(Architecture.MLP).withEpochs(1).withModelName(MODEL);
        TrainingResult trained = new ModelTrainer().train(spec, train, test.head(500), TrainingListener.NONE);
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger last = new AtomicInteger(MAX_SWAP_IMAGES);
        Thread flow = new Thread(() -> {
            for (int i = 0; i < last.get(); i++) {
                send(producer, settings, "swap-" + i, test.image(i % test.size()));
                if (i % 100 == 99) {
                    // About 2,000 images/s, so the swap lands while images arrive without a backlog to wait on.
                    producer.flush();
                    try {
                        TimeUnit.MILLISECONDS.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                sent.incrementAndGet();
            }
            producer.flush();
        }, "round-trip-images");
        flow.start();
        await().atMost(Duration.ofMinutes(1)).until(() -> sent.get() >= 1_000);
        try (ModelPublisher publisher = new ModelPublisher(settings, "round-trip")) {
            assertThat(publisher.publish(trained.artifact(), MODEL, 1).version()).isEqualTo(2);
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> app.serving().map(ModelManifest::version).orElse(0) == 2);
        last.set(Math.min(MAX_SWAP_IMAGES, sent.get() + 500));
        flow.join(TimeUnit.MINUTES.toMillis(2));
        int swapImages = sent.get();
        assertThat(swapImages).as("images sent around the swap").isLessThan(MAX_SWAP_IMAGES);
        Map<String, List<Prediction>> answers = readUntil(settings, TEST_IMAGES + swapImages, Duration.ofMinutes(2));
        Map<Integer, Integer> byVersion = new HashMap<>();
        for (int i = 0; i < swapImages; i++) {
            List<Prediction> p = answers.get("swap-" + i);
            assertThat(p).as("predictions of swap-%d", i).hasSize(1);
            byVersion.merge(p.get(0).version(), 1, Integer::sum);
        }
        System.out.printf(Locale.ROOT, "swap: %d images answered once each, by version %s%n", swapImages, byVersion);
        assertThat(answers).as("every id answered exactly once").allSatisfy((id, p) -> assertThat(p).hasSize(1));
        assertThat(byVersion).containsKeys(1, 2);
        assertThat(answers.get("swap-" + (swapImages - 1)).get(0).version()).isEqualTo(2);
    }

    private static void send(KafkaProducer<String, byte[]> producer, KafkaSettings settings, String id, RawImage image) {
        RecordHeaders headers = new RecordHeaders();
        ImageHeaders.describeRaw(headers, image);
        producer.send(new ProducerRecord<>(settings.topics().images(), null, id, image.pixels(), headers));
    }

    /**
     * Reads {@code predictions} (read_committed, from the start) until {@code expected} distinct ids,
     * then a few seconds more so that a duplicate would show. A dead letter fails the test.
     */
    private static Map<String, List<Prediction>> readUntil(KafkaSettings settings, int expected, Duration limit) {
        Properties props = settings.consumerProperties("round-trip-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, List<Prediction>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(settings.topics().predictions(), settings.topics().deadLetters()));
            long deadline = System.nanoTime() + limit.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    assertThat(r.topic()).as("dead letter for %s", r.key()).isEqualTo(settings.topics().predictions());
                    out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Prediction.serde().fromBytes(r.value()));
                }
                if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                }
            }
        }
        assertThat(out).as("ids answered within %s", limit).hasSize(expected);
        return out;
    }
}
