package dev.osprey.classifier;

import dev.osprey.core.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads the classifier's outputs as a user would: {@code predictions} and {@code images-dlq}, read_committed. */
final class OutputReader {

    private OutputReader() {
    }

    /**
     * Reads both output topics until {@code expected} distinct ids are seen (or {@code limit} passes),
     * then a few seconds more so that a duplicate would show.
     */
    static List<ConsumerRecord<String, byte[]>> readUntil(KafkaSettings settings, int expected, Duration limit) {
        Properties props = settings.consumerProperties("check-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(settings.topics().predictions(), settings.topics().deadLetters()));
            long deadline = System.nanoTime() + limit.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    out.add(r);
                    ids.add(r.key());
                }
                if (ids.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                }
            }
        }
        return out;
    }
}
