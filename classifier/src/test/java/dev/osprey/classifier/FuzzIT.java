package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.FuzzRecords.Fuzz;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slice of the fuzz campaign through the real classifier on a real broker, exactly once: each of
 * 500 generated records (and two at the size limit) ends up exactly once on {@code predictions} or
 * on {@code images-dlq}, and the classifier stays healthy. Seeded like {@link FuzzTopologyTest}.
 */
class FuzzIT {

    private static final long DEFAULT_SEED = 4_243L;
    private static final Set<String> REASONS = Arrays.stream(RejectReason.values()).map(RejectReason::id)
            .collect(Collectors.toSet());

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyRecordEndsUpExactlyOnceOnPredictionsOrTheDeadLetterTopic() throws Exception {
        List<Fuzz> records = new FuzzRecords(FuzzRecords.seed(DEFAULT_SEED), FuzzTopologyTest.fashionMnist())
                .generate(500, 2);
        long seed = FuzzRecords.seed(DEFAULT_SEED);
        try {
            run(records);
        } catch (Throwable t) {
            throw new AssertionError("fuzz slice failed with seed " + seed + " (replay: -D"
                    + FuzzRecords.SEED_PROPERTY + "=" + seed + "): " + t.getMessage(), t);
        }
    }

    private void run(List<Fuzz> records) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "fuzz-");
            OspreyTopics topics = settings.topics();
            TopicAdmin.ensureTopics(broker.bootstrapServers(), topics);
            // Where each record landed: "partition@offset" -> the record and its image id.
            Map<String, Fuzz> byPosition = new HashMap<>();
            Map<String, String> idByPosition = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topics.models(), "fashion".getBytes(StandardCharsets.UTF_8),
                        TestModels.untrained(Architecture.MLP, "fashion", 1).toBytes())).get(30, TimeUnit.SECONDS);
                for (Fuzz f : records) {
                    RecordMetadata m = producer.send(new ProducerRecord<>(topics.images(), null, f.key(), f.value(),
                            f.headers())).get(30, TimeUnit.SECONDS);
                    String position = m.partition() + "@" + m.offset();
                    byPosition.put(position, f);
                    idByPosition.put(position, f.key() == null ? topics.images() + "-" + position
                            : new String(f.key(), StandardCharsets.UTF_8));
                }
            }
            ClassifierConfig config = ClassifierConfig.defaults(broker.bootstrapServers(), topics)
                    .withStateDir(dir.resolve("streams"));
            try (ClassifierApp app = new ClassifierApp(config, new SimpleMeterRegistry())) {
                app.start(Duration.ofSeconds(60));
                List<ConsumerRecord<String, byte[]>> out = OutputReader.readUntil(settings, records.size(),
                        Duration.ofMinutes(2));
                Map<String, Long> predicted = out.stream().filter(r -> r.topic().equals(topics.predictions()))
                        .peek(r -> assertThat(Prediction.serde().fromBytes(r.value()).id()).isEqualTo(r.key()))
                        .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
                Map<String, Long> dead = out.stream().filter(r -> r.topic().equals(topics.deadLetters()))
                        .peek(r -> assertThat(REASONS).contains(header(r, DeadLetterHeaders.ERROR)))
                        .collect(Collectors.groupingBy(r -> header(r, DeadLetterHeaders.SOURCE_PARTITION) + "@"
                                + header(r, DeadLetterHeaders.SOURCE_OFFSET), Collectors.counting()));
                for (Map.Entry<String, Fuzz> e : byPosition.entrySet()) {
                    long p = predicted.getOrDefault(idByPosition.get(e.getKey()), 0L);
                    long d = dead.getOrDefault(e.getKey(), 0L);
                    assertThat(p + d).as("outputs of %s (%s): %d prediction(s), %d dead letter(s)", e.getKey(),
                            e.getValue().kind(), p, d).isEqualTo(1);
                    if (e.getValue().kind().valid) {
                        assertThat(p).as("%s (%s) is a real image", e.getKey(), e.getValue().kind()).isEqualTo(1);
                    }
                }
                assertThat(out).as("outputs in all").hasSize(records.size());
                assertThat(app.failure()).as("the classifier is still healthy").isEmpty();
            }
        }
    }

    private static String header(ConsumerRecord<String, byte[]> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
