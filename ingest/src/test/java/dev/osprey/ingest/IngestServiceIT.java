package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class IngestServiceIT {

    private static final Duration READ_BOUND = Duration.ofSeconds(30);

    @TempDir
    static Path brokerDir;
    private static EmbeddedBroker broker;

    @TempDir
    Path dir;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.start(brokerDir, 0);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void publishesADatasetThatReadsBackPixelForPixel() throws Exception {
        Dataset data = TestDatasets.gray("digits/test", 300, 21);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        KafkaSettings settings = settings("raw-");

        IngestSummary summary = run(settings, IngestOptions.builder(idx.toString()).build());

        assertThat(summary.published()).isEqualTo(300);
        assertThat(summary.errors()).isZero();
        assertThat(registry.get("osprey.ingest.images.published").counter().count()).isEqualTo(300);
        List<ConsumerRecord<String, byte[]>> records = readAll(settings.topics().images(), 300);
        assertThat(records).extracting(ConsumerRecord::key).doesNotHaveDuplicates().hasSize(300)
                .contains("test-00000", "test-00299");
        for (ConsumerRecord<String, byte[]> r : records) {
            int index = Integer.parseInt(r.key().substring("test-".length()));
            assertThat(ImageDecoder.decode(r.value(), r.headers())).isEqualTo(data.image(index));
            assertThat(ImageHeaders.label(r.headers())).hasValue(data.label(index));
            assertThat(ImageHeaders.text(r.headers(), ImageHeaders.SOURCE)).hasValueSatisfying(
                    s -> assertThat(s).endsWith("#" + index));
        }
    }

    @Test
    void pngValuesDecodeToTheSamePixels() throws Exception {
        Dataset data = TestDatasets.gray("digits/test", 40, 22);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        KafkaSettings settings = settings("png-");

        run(settings, IngestOptions.builder(idx.toString()).encoding(ImageEncoding.PNG).idPrefix("r1/").build());

        List<ConsumerRecord<String, byte[]>> records = readAll(settings.topics().images(), 40);
        assertThat(records).hasSize(40);
        for (ConsumerRecord<String, byte[]> r : records) {
            int index = Integer.parseInt(r.key().substring("r1/test-".length()));
            assertThat(ImageHeaders.text(r.headers(), ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.PNG);
            assertThat(ImageDecoder.decode(r.value(), r.headers())).isEqualTo(data.image(index));
        }
    }

    @Test
    void publishesTheRealFashionMnistTestSplit() throws Exception {
        Path fashion = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isDirectory(fashion), "Fashion-MNIST is not installed at " + fashion
                + " (Debian package dataset-fashion-mnist)");
        KafkaSettings settings = settings("fashion-");

        IngestSummary summary = run(settings,
                IngestOptions.builder(fashion.toString()).count(1000).shuffle(true).seed(1).build());

        assertThat(summary.published()).isEqualTo(1000);
        List<ConsumerRecord<String, byte[]>> records = readAll(settings.topics().images(), 1000);
        assertThat(records).extracting(ConsumerRecord::key).doesNotHaveDuplicates().hasSize(1000);
        assertThat(records).allSatisfy(r -> {
            assertThat(ImageHeaders.label(r.headers())).hasValueSatisfying(l -> assertThat(l).isBetween(0, 9));
            assertThat(ImageDecoder.decode(r.value(), r.headers()).width()).isEqualTo(28);
        });
    }

    @Test
    void sendsTheSameSeededShareToFeedbackAfterTheDelay() throws Exception {
        Dataset data = TestDatasets.gray("digits/test", 400, 23);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        KafkaSettings settings = settings("fb-");
        Duration delay = Duration.ofMillis(300);

        IngestSummary first = run(settings, IngestOptions.builder(idx.toString()).feedback(0.3, delay).seed(5)
                .idPrefix("a/").build());
        IngestSummary second = run(settings, IngestOptions.builder(idx.toString()).feedback(0.3, delay).seed(5)
                .idPrefix("b/").build());

        // Binomial(400, 0.3): mean 120, sd ~9.
        assertThat(first.feedbackSent()).isBetween(80L, 160L).isEqualTo(second.feedbackSent());
        List<ConsumerRecord<String, byte[]>> feedback =
                readAll(settings.topics().feedback(), (int) (first.feedbackSent() + second.feedbackSent()));
        Map<String, ConsumerRecord<String, byte[]>> images = new HashMap<>();
        readAll(settings.topics().images(), 800).forEach(r -> images.put(r.key(), r));

        assertThat(stems(feedback, "a/")).isEqualTo(stems(feedback, "b/")).hasSize((int) first.feedbackSent());
        for (ConsumerRecord<String, byte[]> copy : feedback) {
            ConsumerRecord<String, byte[]> image = images.get(copy.key());
            assertThat(copy.value()).isEqualTo(image.value());
            assertThat(copy.headers().toArray()).isEqualTo(image.headers().toArray());
            assertThat(copy.timestamp()).isGreaterThanOrEqualTo(image.timestamp() + delay.toMillis() - 1);
        }
    }

    @Test
    void pacesSendsAtTheRequestedRate() throws Exception {
        Dataset data = TestDatasets.gray("digits/test", 200, 24);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        long start = System.nanoTime();

        IngestSummary summary = run(settings("rate-"), IngestOptions.builder(idx.toString()).rate(400).build());

        // 200 sends spaced 2.5 ms apart span at least 199 intervals; only a lower bound is asserted.
        assertThat(summary.published()).isEqualTo(200);
        assertThat(summary.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(450));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
    }

    @Test
    void aMissingSourceFailsClearlyAndPublishesNothing() throws Exception {
        Path missing = dir.resolve("no-such-dataset");
        KafkaSettings settings = settings("missing-");

        assertThatThrownBy(() -> run(settings, IngestOptions.builder(missing.toString()).build()))
                .isInstanceOf(IngestException.class).hasMessageContaining(missing.toString());

        try (Admin admin = Admin.create(settings.adminProperties())) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertThat(topics).noneMatch(t -> t.startsWith("missing-"));
        }
        assertThat(registry.find("osprey.ingest.images.published").counter()).isNull();
    }

    @Test
    void aTruncatedIdxFileFailsClearlyAndPublishesNothing() throws Exception {
        Dataset data = TestDatasets.gray("digits/test", 50, 25);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        Path images = idx.resolve("train-images-idx3-ubyte");
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, bytes.length - 1000));
        KafkaSettings settings = settings("truncated-");

        assertThatThrownBy(() -> run(settings, IngestOptions.builder(idx.toString()).split(Split.TRAIN).build()))
                .isInstanceOf(IngestException.class).hasMessageStartingWith(images.toString())
                .hasMessageContaining("truncated at byte " + (bytes.length - 1000));

        try (Admin admin = Admin.create(settings.adminProperties())) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertThat(topics).noneMatch(t -> t.startsWith("truncated-"));
        }
    }

    @Test
    void aFolderPublishesItsGoodImagesAndCountsTheSkippedOnes() throws Exception {
        Path root = dir.resolve("shoes");
        Files.createDirectories(root.resolve("boot"));
        RawImage image = new RawImage(4, 4, 1, new byte[16]);
        Files.write(root.resolve("boot/a.png"), ImageEncoder.png(image));
        Files.write(root.resolve("boot/b.png"), ImageEncoder.png(image));
        Files.writeString(root.resolve("boot/bad.png"), "not an image");
        KafkaSettings settings = settings("folder-");

        IngestSummary summary = run(settings, IngestOptions.builder(root.toString()).build());

        assertThat(summary.published()).isEqualTo(2);
        assertThat(summary.skipped()).isEqualTo(1);
        assertThat(summary.line()).contains("skipped=1");
        assertThat(readAll(settings.topics().images(), 2)).hasSize(2);
    }

    @Test
    void publishesOneImageFromStdinAsItIs() throws Exception {
        byte[] png = ImageEncoder.png(new RawImage(2, 2, 3, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
        KafkaSettings settings = settings("stdin-");
        IngestService service = new IngestService(settings, IngestOptions.builder("-").count(3).loop(true).build(),
                registry, ProgressDisplay.none(), new ByteArrayInputStream(png));

        assertThat(service.run().published()).isEqualTo(3);

        List<ConsumerRecord<String, byte[]>> records = readAll(settings.topics().images(), 3);
        assertThat(records).extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("stdin", "stdin-p1", "stdin-p2");
        assertThat(records).allSatisfy(r -> assertThat(r.value()).isEqualTo(png));
    }

    private IngestSummary run(KafkaSettings settings, IngestOptions options) throws IngestException {
        return new IngestService(settings, options, registry, ProgressDisplay.none()).run();
    }

    private static KafkaSettings settings(String prefix) {
        return KafkaSettings.of(broker.bootstrapServers(), prefix);
    }

    private static Set<String> stems(List<ConsumerRecord<String, byte[]>> records, String prefix) {
        return records.stream().map(ConsumerRecord::key).filter(k -> k.startsWith(prefix))
                .map(k -> k.substring(prefix.length())).collect(Collectors.toSet());
    }

    /** Reads {@code topic} from the start until {@code expected} records came, within a bound. */
    private static List<ConsumerRecord<String, byte[]>> readAll(String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, READ_BOUND).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + READ_BOUND.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
