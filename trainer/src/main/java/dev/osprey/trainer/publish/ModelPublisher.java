package dev.osprey.trainer.publish;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes model versions to the compacted {@code models} topic.
 *
 * <p>Each publish is one transaction of a producer whose transactional id is derived from the model
 * name ({@code osprey-models-<prefix><name>}), whoever publishes: its {@code initTransactions} fences
 * any other publisher of the same name that is mid-publish, and only then is the newest version
 * read back from the topic and the next one written. So two publishers (a trainer and an
 * {@code osprey train --publish}) cannot both write the same version, versions never repeat or go
 * backwards across restarts, and a process killed mid-publish leaves nothing visible to
 * read_committed readers.
 */
public final class ModelPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelPublisher.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final KafkaSettings settings;
    private final String clientId;

    /**
     * @param clientId names this publisher's producer in broker logs and metrics (e.g. {@code trainer})
     */
    public ModelPublisher(KafkaSettings settings, String clientId) {
        this.settings = settings;
        this.clientId = clientId;
    }

    private KafkaProducer<String, byte[]> producerFor(String name) {
        return new KafkaProducer<>(settings.publisherProperties(name, clientId), new StringSerializer(), new ByteArraySerializer());
    }

    /** The newest artifact of {@code name} on the topic, if any (a record that no longer parses is skipped). */
    public Optional<ModelArtifact> latest(String name) {
        Properties p = settings.modelReaderProperties();
        String topic = settings.topics().models();
        ModelArtifact newest = null;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic, TIMEOUT).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, TIMEOUT);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaException("timed out reading " + topic);
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (name.equals(r.key()) && r.value() != null) {
                        try {
                            ModelArtifact a = ModelArtifact.fromBytes(r.value());
                            if (newest == null || a.manifest().version() > newest.manifest().version()) {
                                newest = a;
                            }
                        } catch (InvalidArtifactException e) {
                            LOG.warn("skipping an unreadable artifact at {}-{}@{}: {}", topic, r.partition(),
                                    r.offset(), e.getMessage());
                        }
                    }
                }
            }
        }
        return Optional.ofNullable(newest);
    }

    /** The newest published version of {@code name}, or 0. */
    public int latestVersion(String name) {
        return latest(name).map(a -> a.manifest().version()).orElse(0);
    }

    /**
     * Publishes {@code artifact} as the next version of {@code name}, whatever the newest is.
     *
     * @return the manifest as published (name, version and parent filled in)
     */
    public ModelManifest publish(ModelArtifact artifact, String name, int parentVersion) {
        return publish(artifact, name, parentVersion, -1);
    }

    /**
     * Publishes {@code artifact} as the next version of {@code name} only if the newest version is
     * still {@code expectedLatest} (0: none yet) once this publisher holds the model's transactional
     * id: the check happens after {@code initTransactions} has fenced every other publisher of the
     * name, so of two publishers that both judged against the same version, at most one publishes.
     *
     * @throws StalePublishException when another version was published in the meantime; nothing is written
     */
    public ModelManifest publishIfLatest(ModelArtifact artifact, String name, int parentVersion, int expectedLatest) {
        if (expectedLatest < 0) {
            throw new IllegalArgumentException("expected latest version must be >= 0: " + expectedLatest);
        }
        return publish(artifact, name, parentVersion, expectedLatest);
    }

    private ModelManifest publish(ModelArtifact artifact, String name, int parentVersion, int expectedLatest) {
        try (KafkaProducer<String, byte[]> producer = producerFor(name)) {
            producer.initTransactions(); // fences any other publisher of this name before we read
            int latest = latestVersion(name);
            if (expectedLatest >= 0 && latest != expectedLatest) {
                throw new StalePublishException(name, expectedLatest, latest);
            }
            int version = latest + 1;
            ModelArtifact published = artifact.withVersion(name, version, parentVersion);
            byte[] bytes = published.toBytes();
            producer.beginTransaction();
            try {
                producer.send(new ProducerRecord<>(settings.topics().models(), name, bytes))
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                producer.commitTransaction();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abortQuietly(producer);
                throw new KafkaException("interrupted publishing " + published.manifest().tag(), e);
            } catch (ExecutionException | TimeoutException | KafkaException e) {
                abortQuietly(producer);
                throw new KafkaException("could not publish " + published.manifest().tag() + ": " + e.getMessage(),
                        e);
            }
            LOG.info("published {} to {} ({} bytes)", published.manifest().tag(), settings.topics().models(),
                    bytes.length);
            return published.manifest();
        }
    }

    private static void abortQuietly(KafkaProducer<String, byte[]> producer) {
        try {
            producer.abortTransaction();
        } catch (KafkaException ignored) {
            // fenced or closed: nothing was committed either way
        }
    }

    /** Nothing to release: each publish owns its producer for the length of the call. */
    @Override
    public void close() {
        // kept AutoCloseable so callers need not change if a publisher ever holds a connection again
    }
}
