package dev.osprey.classifier.model;

import ai.djl.Device;
import ai.djl.Model;
import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelCheck;
import dev.osprey.core.model.ModelManifest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the {@code models} topic on its own thread: loads each new version, checks it
 * (checksum, input shape, one forward pass) and swaps it in. Every classifier instance follows the
 * whole topic itself (no consumer group), so every replica serves the newest model.
 *
 * <p>A version is taken only if it is newer than the serving one of the same name, so versions
 * never go backwards. A bad artifact is refused and reported; the serving model stays.
 */
public final class ModelFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);

    private final Properties consumerProps;
    private final String topic;
    private final Optional<String> modelName;
    private final ModelHolder holder;
    private final Device device;
    private final ClassifierMetrics metrics;
    private final BiConsumer<String, String> refusals;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;

    /**
     * @param consumerProps a group-less reader of {@code models} ({@code KafkaSettings.modelReaderProperties()})
     * @param refusals told (model key, reason) for every artifact refused, e.g. to publish a training event
     */
    public ModelFollower(Properties consumerProps, String topic, Optional<String> modelName, ModelHolder holder,
                         Device device, ClassifierMetrics metrics, BiConsumer<String, String> refusals) {
        this.consumerProps = consumerProps;
        this.topic = topic;
        this.modelName = modelName;
        this.holder = holder;
        this.device = device;
        this.metrics = metrics;
        this.refusals = refusals;
        this.thread = new Thread(this::run, "osprey-model-follower");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Why this follower no longer follows, if it stopped without being closed (an error it could not
     * answer, even an {@link Error}): the classifier then never swaps again and must say so.
     */
    public Optional<String> failure() {
        return running && thread.getState() == Thread.State.TERMINATED
                ? Optional.of("the model follower of " + topic + " stopped")
                : Optional.empty();
    }

    private void run() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer = c;
            List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            catchUp(c, partitions);
            while (running) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (wanted(r)) {
                        offer(r);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("model follower stopped; the serving model stays", e);
        }
    }

    /** Reads what the topic holds now and serves the newest version that loads. */
    private void catchUp(KafkaConsumer<String, byte[]> c, List<TopicPartition> partitions) {
        Map<TopicPartition, Long> end = c.endOffsets(partitions, Duration.ofSeconds(30));
        List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
        while (running && partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
            c.poll(Duration.ofMillis(200)).forEach(r -> {
                if (wanted(r)) {
                    seen.add(r);
                }
            });
        }
        LOG.info("{} holds {} model record(s){}", topic, seen.size(),
                modelName.map(n -> " named " + n).orElse(""));
        for (int i = seen.size() - 1; i >= 0 && holder.serving().isEmpty(); i--) {
            offer(seen.get(i));
        }
    }

    private boolean wanted(ConsumerRecord<String, byte[]> r) {
        return r.value() != null && modelName.map(n -> n.equals(r.key())).orElse(true);
    }

    /** Loads, checks and swaps in one artifact; anything that goes wrong refuses that artifact only. */
    void offer(ConsumerRecord<String, byte[]> record) {
        try {
            load(record);
        } catch (RuntimeException e) {
            refuse(record.key(), topic + "-" + record.partition() + "@" + record.offset(),
                    "cannot load: " + e);
        }
    }

    private void load(ConsumerRecord<String, byte[]> record) {
        String where = topic + "-" + record.partition() + "@" + record.offset();
        ModelArtifact artifact;
        try {
            artifact = ModelArtifact.fromBytes(record.value());
        } catch (InvalidArtifactException e) {
            refuse(record.key(), where, e.getMessage());
            return;
        }
        ModelManifest m = artifact.manifest();
        Optional<ModelManifest> serving = holder.serving();
        if (serving.isPresent() && serving.get().name().equals(m.name()) && m.version() <= serving.get().version()) {
            LOG.info("ignoring {} at {}: {} already serves", m.tag(), where, serving.get().tag());
            metrics.swap("stale");
            return;
        }
        long started = System.nanoTime();
        Model model;
        try {
            model = artifact.newModel(device);
        } catch (InvalidArtifactException e) {
            refuse(record.key(), where, m.tag() + ": " + e.getMessage());
            return;
        }
        try {
            ModelCheck.verify(model, m);
        } catch (InvalidArtifactException | RuntimeException e) {
            model.close();
            refuse(record.key(), where, m.tag() + ": " + e.getMessage());
            return;
        }
        holder.swap(new ServingModel(m, model));
        metrics.swap("swapped");
        metrics.serving(m);
        LOG.info("now serving {} ({}, input {}, {} classes; loaded and checked in {} ms){}", m.tag(),
                m.architecture(), m.input(), m.classes().size(), (System.nanoTime() - started) / 1_000_000,
                serving.map(s -> ", replacing " + s.tag()).orElse(""));
    }

    private void refuse(String key, String where, String reason) {
        LOG.warn("refused the model at {}: {}; the serving model stays ({})", where, reason,
                holder.serving().map(ModelManifest::tag).orElse("none"));
        metrics.swap("refused");
        refusals.accept(key, reason);
    }

    @Override
    public String toString() {
        return "ModelFollower[" + topic + modelName.map(n -> ", " + n).orElse("") + "]";
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        thread.join(Duration.ofSeconds(10).toMillis());
    }
}
