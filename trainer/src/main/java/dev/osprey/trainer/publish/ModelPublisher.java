package dev.osprey.trainer.publish;

import ai.djl.Device;
import ai.djl.Model;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelCheck;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

    /**
     * What {@code models} holds for one name.
     *
     * @param newestUsable   the highest version that parses, loads and passes {@link ModelCheck}: what
     *                       classifiers serve, and what a run fine-tunes from
     * @param highestVersion the highest version number any readable record of the name takes, usable or
     *                       not (a refused v5 still takes v5), or 0
     */
    public record Versions(Optional<ModelArtifact> newestUsable, int highestVersion) {
    }

    /** Where a readable record of a name sits, remembered instead of its bytes. */
    private record Found(TopicPartition partition, long offset, int version) {
    }

    /**
     * Reads {@code models} for {@code name}: records that do not parse are skipped, and the newest
     * that parse are loaded and checked one by one until one passes, each bad one skipped with a log
     * line. Only one artifact is in memory at a time.
     */
    public Versions versions(String name) {
        return read(name, true);
    }

    /** The newest usable artifact of {@code name} on the topic, if any; see {@link #versions(String)}. */
    public Optional<ModelArtifact> latest(String name) {
        return versions(name).newestUsable();
    }

    /** The highest version of {@code name} on the topic, usable or not, or 0. */
    public int latestVersion(String name) {
        return read(name, false).highestVersion();
    }

    private Versions read(String name, boolean findUsable) {
        try (TopicReader reader = new TopicReader(settings.modelReaderProperties())) {
            reader.assignAll(settings.topics().models(), TIMEOUT);
            List<Found> found = new ArrayList<>();
            String challenger = ModelManifest.challengerKey(name);
            int[] challengerHighest = new int[1];
            reader.readToEnd(TIMEOUT, () -> true, r -> {
                if (challenger.equals(r.key())) {
                    // A challenger takes its version number too, promoted or not: numbers never repeat.
                    parse(r, challenger).ifPresent(a -> challengerHighest[0] = Math.max(challengerHighest[0],
                            a.manifest().version()));
                    return;
                }
                parse(r, name).ifPresent(a -> found.add(
                        new Found(new TopicPartition(r.topic(), r.partition()), r.offset(), a.manifest().version())));
            });
            int highest = Math.max(challengerHighest[0], found.stream().mapToInt(Found::version).max().orElse(0));
            if (!findUsable) {
                return new Versions(Optional.empty(), highest);
            }
            found.sort(Comparator.comparingInt(Found::version).thenComparingLong(Found::offset).reversed());
            for (Found f : found) {
                Optional<ModelArtifact> usable = reader.recordAt(f.partition(), f.offset(), TIMEOUT, () -> true)
                        .flatMap(r -> parse(r, name)).filter(a -> usable(a, f));
                if (usable.isPresent()) {
                    return new Versions(usable, highest);
                }
            }
            return new Versions(Optional.empty(), highest);
        }
    }

    /**
     * The challenger of {@code name} that classifiers score in shadow now, if any: the newest record
     * under its challenger key ({@link ModelManifest#challengerKey}), unless a tombstone followed it
     * (retired or promoted), it does not parse, or a version of the champion as new or newer exists
     * (classifiers drop such a challenger). A trainer restarted mid-trial finds the one it left here.
     */
    public Optional<ModelArtifact> challenger(String name) {
        String key = ModelManifest.challengerKey(name);
        try (TopicReader reader = new TopicReader(settings.modelReaderProperties())) {
            reader.assignAll(settings.topics().models(), TIMEOUT);
            Found[] newest = new Found[1];
            int[] champion = new int[1];
            reader.readToEnd(TIMEOUT, () -> true, r -> {
                if (key.equals(r.key())) {
                    // One key lives on one partition: the last record is the challenger's state.
                    newest[0] = parse(r, key).map(a -> new Found(new TopicPartition(r.topic(), r.partition()),
                            r.offset(), a.manifest().version())).orElse(null);
                } else {
                    parse(r, name).ifPresent(a -> champion[0] = Math.max(champion[0], a.manifest().version()));
                }
            });
            Found f = newest[0];
            if (f == null || f.version() <= champion[0]) {
                return Optional.empty();
            }
            return reader.recordAt(f.partition(), f.offset(), TIMEOUT, () -> true).flatMap(r -> parse(r, key));
        }
    }

    /** The artifact in {@code r} if it is a readable one of {@code name}; else empty, logged. */
    private Optional<ModelArtifact> parse(ConsumerRecord<String, byte[]> r, String name) {
        if (!name.equals(r.key()) || r.value() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelArtifact.fromBytes(r.value()));
        } catch (InvalidArtifactException | RuntimeException e) {
            LOG.warn("skipping an unreadable artifact at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    /** Whether {@code a} loads and passes the check classifiers make; logs why not. */
    private static boolean usable(ModelArtifact a, Found where) {
        try (Model model = a.newModel(Device.cpu())) {
            ModelCheck.verify(model, a.manifest());
            return true;
        } catch (InvalidArtifactException | RuntimeException e) {
            LOG.warn("skipping {} at {}-{}@{}, which classifiers refuse too: {}", a.manifest().tag(),
                    where.partition().topic(), where.partition().partition(), where.offset(), e.getMessage());
            return false;
        }
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
        return write(name, parentVersion, expectedLatest, Role.CHAMPION, artifact);
    }

    /** What a publish writes. */
    private enum Role {
        /** The next version, under the name: classifiers swap to it. */
        CHAMPION,
        /** The next version, under the challenger key: classifiers score it in shadow. */
        CHALLENGER,
        /** The artifact as it is (its version kept) under the name, and a tombstone under the challenger key. */
        PROMOTION
    }

    /**
     * Publishes {@code artifact} as the next version of {@code name} under the challenger key
     * ({@link ModelManifest#challengerKey}): classifiers score it beside the champion in shadow and
     * write both answers to {@code predictions-shadow}; the champion keeps serving. Only if the
     * newest version is still {@code expectedLatest}, checked as for {@link #publishIfLatest}.
     */
    public ModelManifest publishChallenger(ModelArtifact artifact, String name, int parentVersion,
                                           int expectedLatest) {
        return write(name, parentVersion, expectedLatest, Role.CHALLENGER, artifact);
    }

    /**
     * Makes the challenger {@code challenger} (as published by {@link #publishChallenger}) the
     * champion: in one transaction, the same artifact under the name, its version kept, and a
     * tombstone under the challenger key. Only if the newest version is still the challenger's.
     *
     * @throws StalePublishException when another version was published since
     */
    public ModelManifest promote(ModelArtifact challenger, String name) {
        return write(name, challenger.manifest().parentVersion(), challenger.manifest().version(), Role.PROMOTION,
                challenger);
    }

    /** Stops the shadow scoring of {@code name}'s challenger: a tombstone under its key. */
    public void retireChallenger(String name) {
        try (KafkaProducer<String, byte[]> producer = producerFor(name)) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                producer.send(new ProducerRecord<>(settings.topics().models(), ModelManifest.challengerKey(name),
                        null)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                producer.commitTransaction();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abortQuietly(producer);
                throw new KafkaException("interrupted retiring the challenger of " + name, e);
            } catch (ExecutionException | TimeoutException | KafkaException e) {
                abortQuietly(producer);
                throw new KafkaException("could not retire the challenger of " + name + ": " + e.getMessage(), e);
            }
        }
    }

    private ModelManifest write(String name, int parentVersion, int expectedLatest, Role role,
                                ModelArtifact artifact) {
        try (KafkaProducer<String, byte[]> producer = producerFor(name)) {
            producer.initTransactions(); // fences any other publisher of this name before we read
            int latest = latestVersion(name);
            if (expectedLatest >= 0 && latest != expectedLatest) {
                throw new StalePublishException(name, expectedLatest, latest);
            }
            ModelArtifact published = role == Role.PROMOTION ? artifact
                    : artifact.withVersion(name, latest + 1, parentVersion);
            String key = role == Role.CHALLENGER ? ModelManifest.challengerKey(name) : name;
            byte[] bytes = published.toBytes();
            producer.beginTransaction();
            try {
                producer.send(new ProducerRecord<>(settings.topics().models(), key, bytes))
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (role == Role.PROMOTION) {
                    producer.send(new ProducerRecord<>(settings.topics().models(), ModelManifest.challengerKey(name),
                            null)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
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
            LOG.info("published {} to {} under {} ({} bytes)", published.manifest().tag(), settings.topics().models(),
                    key, bytes.length);
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
