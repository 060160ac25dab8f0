package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.format.LabelRequest;
import dev.osprey.core.image.ImageHeaders;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The uncertain feedback strategy on a real broker: the test plays the classifier, writing label
 * requests for some of the images the run has published, one twice, and one for an id the run never
 * published; exactly the answered ones come back on {@code feedback}, with their labels, within the
 * budget.
 */
@Tag("slow")
class UncertainLabellerIT {

    private static final Duration READ_BOUND = Duration.ofSeconds(30);
    private static final int IMAGES = 40;
    private static final double SHARE = 0.1;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void answersOnlyRequestsForItsOwnImagesOnceEachWithinTheBudget() throws Exception {
        Dataset data = TestDatasets.gray("digits/test", IMAGES, 5);
        Path idx = TestDatasets.idxDirectory(dir.resolve("digits"), data);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "al-");
            IngestOptions options = IngestOptions.builder(idx.toString()).rate(10).idPrefix("run-")
                    .feedback(SHARE, Duration.ZERO).feedbackStrategy(FeedbackStrategy.UNCERTAIN).build();
            IngestService service = new IngestService(settings, options, new SimpleMeterRegistry(),
                    ProgressDisplay.none());
            CompletableFuture<IngestSummary> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return service.run();
                } catch (IngestException e) {
                    throw new IllegalStateException(e);
                }
            });

            // Half the images are out: budget floor(0.1 * 20) = 2 at least, 4 at most.
            List<String> seen = read(broker, settings.topics().images(), IMAGES / 2).stream()
                    .map(ConsumerRecord::key).toList();
            List<String> asked = seen.subList(0, 6);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                    new StringSerializer(), new ByteArraySerializer())) {
                for (String id : asked) {
                    request(producer, settings, id);
                }
                request(producer, settings, asked.get(0));
                request(producer, settings, "someone-elses-image");
                producer.flush();
            }
            IngestSummary summary = run.get(90, TimeUnit.SECONDS);

            assertThat(summary.published()).isEqualTo(IMAGES);
            UncertainLabeller.Counts counts = summary.requests();
            assertThat(counts.received()).isEqualTo(8);
            assertThat(counts.answered()).isBetween(2L, (long) Math.floor(SHARE * IMAGES));
            assertThat(counts.skipped()).isEqualTo(8 - counts.answered());
            assertThat(summary.feedbackSent()).isEqualTo(counts.answered());

            List<ConsumerRecord<String, byte[]>> feedback = read(broker, settings.topics().feedback(),
                    (int) counts.answered());
            assertThat(feedback).hasSize((int) counts.answered());
            assertThat(feedback).extracting(ConsumerRecord::key).doesNotHaveDuplicates()
                    .allSatisfy(id -> assertThat(asked).contains(id));
            for (ConsumerRecord<String, byte[]> r : feedback) {
                int index = Integer.parseInt(r.key().substring(r.key().lastIndexOf('-') + 1));
                assertThat(r.value()).isEqualTo(data.image(index).pixels());
                assertThat(new String(r.headers().lastHeader(ImageHeaders.LABEL).value()))
                        .isEqualTo(Integer.toString(data.label(index)));
            }
        }
    }

    private static void request(KafkaProducer<String, byte[]> producer, KafkaSettings settings, String id) {
        LabelRequest request = new LabelRequest(id, "digits", 1, 3, 0.4, 0.01, 0, System.currentTimeMillis());
        producer.send(new ProducerRecord<>(settings.topics().labelRequests(), id,
                LabelRequest.serde().toBytes(request)));
    }

    /** Reads {@code topic} from the start until {@code expected} records came, or the bound passed. */
    private static List<ConsumerRecord<String, byte[]>> read(EmbeddedBroker broker, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + READ_BOUND.toNanos();
            List<TopicPartition> partitions = List.of();
            while (partitions.isEmpty() && System.nanoTime() < deadline) {
                Map<String, ?> topics = consumer.listTopics(READ_BOUND);
                if (topics.containsKey(topic)) {
                    partitions = consumer.partitionsFor(topic, READ_BOUND).stream()
                            .map(info -> new TopicPartition(topic, info.partition())).toList();
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long quiet = Math.min(deadline, System.nanoTime() + READ_BOUND.toNanos());
            while (out.size() < expected && System.nanoTime() < quiet) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
