package dev.osprey.trainer;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.TrainingEvent;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads {@code training-events} from the beginning on a thread of its own, for assertions. */
public final class EventLog implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    public EventLog(KafkaSettings settings) {
        Properties p = settings.consumerProperties("event-log-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.consumer.subscribe(List.of(settings.topics().trainingEvents()));
        this.thread = new Thread(this::run, "event-log");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    events.add(TrainingEvent.serde().fromBytes(r.value()));
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    public List<TrainingEvent> all() {
        return List.copyOf(events);
    }

    public List<TrainingEvent> ofType(String type) {
        return events.stream().filter(e -> type.equals(e.type())).toList();
    }

    /** How many runs have ended (accepted and published, rejected, or failed). */
    public long finishedRuns() {
        return events.stream().filter(e -> e.type().equals("published") || e.type().equals("rejected")
                || e.type().equals("failed")).count();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
