package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicReader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Reads {@code predictions} and {@code images-dlq} as a user would (read_committed) and keeps
 * running totals: answered images, accuracy against the {@code label} headers on the images it
 * is told to score, the latest model.
 */
final class PredictionWatcher implements AutoCloseable {

    private final TopicReader consumer;
    private final String predictionsTopic;
    private final Predicate<String> scored;
    private final Thread thread;
    private final AtomicLong predictions = new AtomicLong();
    private final AtomicLong labelled = new AtomicLong();
    private final AtomicLong correct = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong latencySumMs = new AtomicLong();
    private final AtomicReference<String> model = new AtomicReference<>("none");
    private volatile boolean running = true;

    /**
     * @param scored which prediction ids count towards {@link #accuracy()}: the demo scores only
     *               images that never went to feedback, so the accuracy is on never-trained images
     */
    PredictionWatcher(KafkaSettings settings, Predicate<String> scored) {
        this.scored = scored;
        this.consumer = new TopicReader(settings.readerProperties("osprey-watch"));
        this.predictionsTopic = settings.topics().predictions();
        this.consumer.assignAll(List.of(predictionsTopic, settings.topics().deadLetters()),
                TopicAdmin.BROKER_TIMEOUT);
        this.thread = new Thread(this::run, "osprey-prediction-watcher");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        JsonSerde<Prediction> serde = Prediction.serde();
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!r.topic().equals(predictionsTopic)) {
                        deadLetters.incrementAndGet();
                        continue;
                    }
                    Prediction p = serde.fromBytes(r.value());
                    if (p.truth() != null && scored.test(p.id())) {
                        labelled.incrementAndGet();
                        if (p.correct()) {
                            correct.incrementAndGet();
                        }
                    }
                    latencySumMs.addAndGet(p.latencyMs());
                    model.set(p.model() + ":v" + p.version());
                    predictions.incrementAndGet();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    long predictions() {
        return predictions.get();
    }

    long answered() {
        return predictions.get() + deadLetters.get();
    }

    long deadLetters() {
        return deadLetters.get();
    }

    /** How many labelled predictions {@link #accuracy()} is measured on. */
    long scoredCount() {
        return labelled.get();
    }

    double accuracy() {
        long n = labelled.get();
        return n == 0 ? 0.0 : (double) correct.get() / n;
    }

    double meanLatencyMs() {
        long n = predictions.get();
        return n == 0 ? 0.0 : (double) latencySumMs.get() / n;
    }

    String model() {
        return model.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (!thread.isAlive() && thread.getState() == Thread.State.NEW) {
            consumer.close(); // never started: the thread would have closed it
            return;
        }
        consumer.wakeup();
        thread.join(Duration.ofSeconds(10).toMillis());
    }
}
