package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.batch.Outcome;
import dev.osprey.classifier.model.DjlBatchClassifier;
import dev.osprey.classifier.model.ModelHolder;
import dev.osprey.classifier.model.ServingModel;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten model versions published while 50,000 images flow through a real classifier on a real broker:
 * nothing lost or duplicated, versions never go backwards within a partition, and each prediction
 * is what the version it names computes for that image.
 */
class HotSwapIT {

    private static final int IMAGES = 50_000;
    private static final int VERSIONS = 10;
    private static final InputSpec INPUT = new InputSpec(1, 28, 28);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void tenSwapsUnderLoadLoseAndDuplicateNothing() throws Exception {
        List<ModelArtifact> versions = new ArrayList<>();
        for (int v = 1; v <= VERSIONS; v++) {
            versions.add(TestModels.untrained(Architecture.MLP, "digits", v, INPUT, 1000 + v));
        }
        Map<String, byte[]> images = new HashMap<>();
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "swap-");
            TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                    new StringSerializer(), new ByteArraySerializer())) {
                publish(producer, settings, versions.get(0));
                ClassifierConfig config = ClassifierConfig.defaults(broker.bootstrapServers(), settings.topics())
                        .withStateDir(dir.resolve("streams"));
                try (ClassifierApp app = new ClassifierApp(config, new SimpleMeterRegistry())) {
                    app.start(Duration.ofSeconds(60));
                    AtomicLong sent = new AtomicLong();
                    Thread flow = new Thread(() -> produce(producer, settings, images, sent), "image-flow");
                    flow.start();
                    for (int v = 2; v <= VERSIONS; v++) {
                        long target = (long) IMAGES * (v - 1) / VERSIONS;
                        await().atMost(Duration.ofMinutes(1)).until(() -> sent.get() >= target);
                        publish(producer, settings, versions.get(v - 1));
                    }
                    flow.join();
                    List<ConsumerRecord<String, byte[]>> out = OutputReader.readUntil(settings, IMAGES,
                            Duration.ofMinutes(3));
                    check(out, images, versions, settings);
                }
            }
        }
    }

    private void check(List<ConsumerRecord<String, byte[]>> out, Map<String, byte[]> images,
                       List<ModelArtifact> versions, KafkaSettings settings) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        out.forEach(r -> counts.merge(r.key(), 1, Integer::sum));
        assertThat(counts.values().stream().filter(n -> n > 1).count()).as("duplicated ids").isZero();
        assertThat(counts.keySet()).as("every id answered").containsAll(images.keySet());
        assertThat(out).as("no dead letters").allMatch(r -> r.topic().equals(settings.topics().predictions()));

        Map<Integer, Integer> lastVersionByPartition = new HashMap<>();
        Map<Integer, List<Prediction>> byVersion = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : out) {
            Prediction p = Prediction.serde().fromBytes(r.value());
            int previous = lastVersionByPartition.getOrDefault(r.partition(), 0);
            assertThat(p.version()).as("version at %s-%d@%d", r.topic(), r.partition(), r.offset())
                    .isGreaterThanOrEqualTo(previous);
            lastVersionByPartition.put(r.partition(), p.version());
            byVersion.computeIfAbsent(p.version(), k -> new ArrayList<>()).add(p);
        }
        assertThat(byVersion.keySet()).as("versions that answered while images flowed").hasSizeGreaterThanOrEqualTo(5)
                .contains(VERSIONS);
        for (Map.Entry<Integer, List<Prediction>> e : byVersion.entrySet()) {
            recompute(versions.get(e.getKey() - 1), e.getValue(), images);
        }
    }

    /** The version a prediction names must compute the same answer for the same image. */
    private static void recompute(ModelArtifact artifact, List<Prediction> predictions, Map<String, byte[]> images)
            throws Exception {
        List<Prediction> sample = predictions.subList(0, Math.min(50, predictions.size()));
        try (ModelHolder holder = new ModelHolder()) {
            holder.swap(new ServingModel(artifact.manifest(), artifact.newModel()));
            List<RawImage> raws = sample.stream().map(p -> new RawImage(28, 28, 1, images.get(p.id()))).toList();
            BatchResult result = new DjlBatchClassifier(holder).classify(raws);
            for (int i = 0; i < sample.size(); i++) {
                Outcome.Classified c = (Outcome.Classified) result.outcomes().get(i);
                Prediction p = sample.get(i);
                assertThat(p.classIndex()).as("class of %s by %s", p.id(), artifact.manifest().tag())
                        .isEqualTo(c.best());
                assertThat(p.confidence()).as("confidence of %s", p.id())
                        .isCloseTo(c.confidence(), org.assertj.core.data.Offset.offset(1e-3));
            }
        }
    }

    private static void publish(KafkaProducer<String, byte[]> producer, KafkaSettings settings, ModelArtifact a)
            throws Exception {
        producer.send(new ProducerRecord<>(settings.topics().models(), a.manifest().name(), a.toBytes()))
                .get(30, TimeUnit.SECONDS);
    }

    /** About 10,000 images/s of random pixels, so the run spans the swaps. */
    private static void produce(KafkaProducer<String, byte[]> producer, KafkaSettings settings,
                                Map<String, byte[]> images, AtomicLong sent) {
        Random random = new Random(99);
        long start = System.nanoTime();
        for (int i = 0; i < IMAGES; i++) {
            byte[] px = new byte[784];
            random.nextBytes(px);
            String id = "swap-" + i;
            synchronized (images) {
                images.put(id, px);
            }
            RecordHeaders headers = new RecordHeaders();
            ImageHeaders.describeRaw(headers, new RawImage(28, 28, 1, px));
            producer.send(new ProducerRecord<>(settings.topics().images(), null, id, px, headers));
            sent.incrementAndGet();
            long ahead = start + i * 100_000L - System.nanoTime();
            if (ahead > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(ahead);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        producer.flush();
    }
}
