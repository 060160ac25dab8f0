package dev.osprey.classifier.model;

import ai.djl.Device;
import ai.djl.Model;
import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelCheck;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the {@code models} topic on its own thread: loads each new version, checks it
 * (limits, checksum, input shape, a full-size forward pass) and swaps it in. Every classifier
 * instance follows the whole topic itself (no consumer group), so every replica serves the newest
 * model.
 *
 * <p>A classifier serves one model name: the one it was given, or else the first name it sees on
 * the topic. Records of other names are logged once and never swapped in. A version is taken only
 * if it is newer than the serving one, so versions never go backwards.
 *
 * <p>Nothing on the topic can stop it: a bad artifact (refused, or one that runs the heap out) is
 * reported and the serving model stays; at start-up the newest artifact that loads serves, however
 * many bad ones follow it. Only offsets are remembered while catching up, never the artifacts, so
 * memory does not grow with the topic. Kafka errors are retried with backoff for as long as the
 * follower runs; only a bug (or a configuration that cannot make a consumer) ends the thread, and
 * {@link #failure()} then says so.
 */
public final class ModelFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REREAD_TIMEOUT = Duration.ofSeconds(60);
    /** Reading the whole topic once at start; a slower read is retried like any Kafka error. */
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(5);
    // A hostile producer could write many names; beyond this many, others are ignored silently.
    private static final int MAX_LOGGED_NAMES = 100;

    /** What became of one offered record. */
    enum Outcome {
        /** Loaded, checked and now serving. */
        SWAPPED,
        /** Not newer than the serving version. */
        STALE,
        /** Unusable: bad bytes, limits, weights that do not load, a failed check, memory exhausted. */
        REFUSED,
        /** A tombstone, a record without a key, or another model name. */
        IGNORED
    }

    /** Where a record of the served name sits, remembered while catching up instead of its bytes. */
    private record Candidate(TopicPartition partition, long offset) {
    }

    private final Properties consumerProps;
    private final String topic;
    private final ModelHolder holder;
    private final Device device;
    private final ClassifierMetrics metrics;
    private final BiConsumer<String, String> refusals;
    private final int checkBatch;
    private final Thread thread;
    private final Set<String> otherNames = ConcurrentHashMap.newKeySet();
    private final Map<TopicPartition, Long> resume = new HashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile String name;
    private volatile boolean running = true;
    private volatile TopicReader consumer;

    /**
     * @param consumerProps a group-less reader of {@code models} ({@code KafkaSettings.modelReaderProperties()})
     * @param modelName     the one model name to serve; empty serves the first name seen on the topic
     * @param checkBatch    how many images the load-time check classifies at once (the serving batch size)
     * @param refusals      told (model key, reason) for every artifact refused, e.g. to publish a training event
     */
    public ModelFollower(Properties consumerProps, String topic, Optional<String> modelName, ModelHolder holder,
                         Device device, ClassifierMetrics metrics, int checkBatch,
                         BiConsumer<String, String> refusals) {
        this.consumerProps = consumerProps;
        this.topic = topic;
        this.name = modelName.orElse(null);
        this.holder = holder;
        this.device = device;
        this.metrics = metrics;
        this.checkBatch = checkBatch;
        this.refusals = refusals;
        this.thread = new Thread(this::run, "osprey-model-follower");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Why this follower no longer follows, if it stopped without being closed (a bug, or a consumer
     * configuration that cannot work): the classifier then never swaps again and must say so.
     */
    public Optional<String> failure() {
        return running && thread.getState() == Thread.State.TERMINATED
                ? Optional.of("the model follower of " + topic + " stopped")
                : Optional.empty();
    }

    private void run() {
        try {
            Duration backoff = FIRST_BACKOFF;
            while (running) {
                try (TopicReader c = new TopicReader(consumerProps)) {
                    consumer = c;
                    if (running) {
                        follow(c);
                    }
                    return;
                } catch (WakeupException | InterruptException e) {
                    return; // closing
                } catch (ConfigException e) {
                    throw e; // retrying cannot fix a configuration
                } catch (KafkaException e) {
                    LOG.warn("reading {} failed {}; retrying in {} s: {}", topic, positions(),
                            backoff.toSeconds(), e.toString());
                }
                if (closed.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("the model follower of {} stopped {}; the serving model ({}) stays but will never be"
                    + " replaced", topic, positions(), holder.serving().map(ModelManifest::tag).orElse("none"), e);
        }
    }

    /** Catches up once (or resumes where a failed consumer left off), then follows for ever. */
    private void follow(TopicReader c) {
        List<TopicPartition> partitions = c.assignAll(topic, METADATA_TIMEOUT);
        if (resume.isEmpty()) {
            catchUp(c);
        } else {
            partitions.forEach(tp -> c.seek(tp, resume.getOrDefault(tp, 0L)));
        }
        while (running) {
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                offer(r);
                resume.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
            }
        }
    }

    /**
     * Reads what the topic holds now, remembering only where the served name's records are, then
     * re-reads them newest first until one serves (or is not newer than the serving one).
     */
    private void catchUp(TopicReader c) {
        List<Candidate> candidates = new ArrayList<>();
        Candidate[] challenger = new Candidate[1];
        Map<TopicPartition, Long> end = c.readToEnd(CATCH_UP_TIMEOUT, () -> running, r -> {
            if (isChallenger(r)) {
                challenger[0] = new Candidate(new TopicPartition(r.topic(), r.partition()), r.offset());
            } else if (accepts(r)) {
                candidates.add(new Candidate(new TopicPartition(r.topic(), r.partition()), r.offset()));
            }
        });
        LOG.info("{} holds {} record(s) of model {}", topic, candidates.size(), name == null ? "(none yet)" : name);
        // Newest first by offset: the order of publication, which a producer cannot fake as it can timestamps.
        candidates.sort(Comparator.comparingLong(Candidate::offset).reversed());
        for (Candidate candidate : candidates) {
            if (!running) {
                return;
            }
            Outcome outcome = c.recordAt(candidate.partition(), candidate.offset(), REREAD_TIMEOUT, () -> running)
                    .map(this::offer).orElse(Outcome.IGNORED);
            if (outcome == Outcome.SWAPPED || outcome == Outcome.STALE) {
                break;
            }
        }
        // The newest challenger record (a tombstone retires it) once the champion is known.
        if (challenger[0] != null && running) {
            c.recordAt(challenger[0].partition(), challenger[0].offset(), REREAD_TIMEOUT, () -> running)
                    .ifPresent(this::offer);
        }
        end.forEach(c::seek);
        resume.putAll(end);
    }

    /**
     * Whether {@code r} is a version of the served name. The first keyed record fixes the name when
     * none was given; other names are logged once each.
     */
    private boolean accepts(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null || r.key() == null || r.key().isBlank()) {
            return false;
        }
        String served = name;
        if (served == null) {
            if (r.key().endsWith(ModelManifest.challengerKey(""))) {
                return false; // a challenger never chooses the name served
            }
            name = served = r.key();
            LOG.info("serving model {}, the first name on {} (at {}); --model chooses another", served, topic,
                    where(r));
        }
        if (served.equals(r.key())) {
            return true;
        }
        if (otherNames.size() < MAX_LOGGED_NAMES && otherNames.add(r.key())) {
            LOG.warn("ignoring model {} at {}: this classifier serves {} only (and will not log {} again)",
                    r.key(), where(r), served, r.key());
        }
        return false;
    }

    /** Whether {@code r} sits under the challenger key of the served name. */
    private boolean isChallenger(ConsumerRecord<String, byte[]> r) {
        String served = name;
        return served != null && r.key() != null && r.key().equals(ModelManifest.challengerKey(served));
    }

    /** Loads, checks and swaps in one record; anything that goes wrong refuses that record only. */
    Outcome offer(ConsumerRecord<String, byte[]> record) {
        if (isChallenger(record)) {
            return offerChallenger(record);
        }
        if (!accepts(record)) {
            return Outcome.IGNORED;
        }
        String where = where(record);
        try {
            return load(record, where);
        } catch (InvalidArtifactException e) {
            refuse(record.key(), where, e.getMessage());
        } catch (RuntimeException e) {
            refuse(record.key(), where, "cannot load: " + e);
        } catch (OutOfMemoryError e) {
            // What the load allocated is garbage now; the serving model was never touched.
            refuse(record.key(), where, "loading it ran out of memory (" + e.getMessage() + ")");
        }
        return Outcome.REFUSED;
    }

    private Outcome load(ConsumerRecord<String, byte[]> record, String where) throws InvalidArtifactException {
        ModelArtifact artifact = ModelArtifact.fromBytes(record.value());
        ModelManifest m = artifact.manifest();
        if (!m.name().equals(record.key())) {
            throw new InvalidArtifactException(m.tag() + ": the manifest names " + m.name()
                    + " but the record's key is " + record.key());
        }
        Optional<ModelManifest> serving = holder.serving();
        if (serving.isPresent() && m.version() <= serving.get().version()) {
            LOG.info("ignoring {} at {}: {} already serves", m.tag(), where, serving.get().tag());
            metrics.swap("stale");
            return Outcome.STALE;
        }
        long started = System.nanoTime();
        Model model = artifact.newModel(device);
        try {
            ModelCheck.verify(model, m, checkBatch);
        } catch (InvalidArtifactException | RuntimeException | Error e) {
            model.close();
            throw e;
        }
        holder.swap(new ServingModel(m, model));
        metrics.swap("swapped");
        metrics.serving(m);
        LOG.info("now serving {} from {} ({}, input {}, {} classes; loaded and checked in {} ms){}", m.tag(), where,
                m.architecture(), m.input(), m.classes().size(), (System.nanoTime() - started) / 1_000_000,
                serving.map(s -> ", replacing " + s.tag()).orElse(""));
        return Outcome.SWAPPED;
    }

    /**
     * A challenger for shadow scoring: loaded and checked like a champion, and it must be newer than
     * the champion and take the same input tensor and classes; a tombstone retires the one running.
     */
    private Outcome offerChallenger(ConsumerRecord<String, byte[]> record) {
        String where = where(record);
        if (record.value() == null) {
            holder.retireChallenger().ifPresent(m -> LOG.info("stopped scoring challenger {} in shadow ({})",
                    m.tag(), where));
            return Outcome.IGNORED;
        }
        try {
            ModelArtifact artifact = ModelArtifact.fromBytes(record.value());
            ModelManifest m = artifact.manifest();
            Optional<ModelManifest> champion = holder.serving();
            if (!m.name().equals(name)) {
                throw new InvalidArtifactException(m.tag() + ": a challenger of " + name + " must carry its name");
            }
            if (champion.isEmpty() || m.version() <= champion.get().version()) {
                LOG.info("ignoring challenger {} at {}: not newer than the champion ({})", m.tag(), where,
                        champion.map(ModelManifest::tag).orElse("none"));
                return Outcome.STALE;
            }
            if (!DjlBatchClassifier.sameInput(m, champion.get())) {
                throw new InvalidArtifactException(m.tag() + ": a challenger must take the champion's input ("
                        + champion.get().input() + ", its normalization) and name the same classes");
            }
            Model model = artifact.newModel(device);
            try {
                ModelCheck.verify(model, m, checkBatch);
            } catch (InvalidArtifactException | RuntimeException | Error e) {
                model.close();
                throw e;
            }
            holder.challenge(new ServingModel(m, model));
            LOG.info("scoring challenger {} in shadow beside {} (from {})", m.tag(), champion.get().tag(), where);
            return Outcome.SWAPPED;
        } catch (InvalidArtifactException e) {
            refuse(record.key(), where, e.getMessage());
        } catch (RuntimeException e) {
            refuse(record.key(), where, "cannot load the challenger: " + e);
        } catch (OutOfMemoryError e) {
            refuse(record.key(), where, "loading the challenger ran out of memory (" + e.getMessage() + ")");
        }
        return Outcome.REFUSED;
    }

    private void refuse(String key, String where, String reason) {
        LOG.warn("refused the model at {}: {}; the serving model stays ({})", where, reason,
                holder.serving().map(ModelManifest::tag).orElse("none"));
        metrics.swap("refused");
        refusals.accept(key, reason);
    }

    private static String where(ConsumerRecord<?, ?> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }

    private String positions() {
        return resume.isEmpty() ? "before catching up" : "at " + resume;
    }

    @Override
    public String toString() {
        String served = name;
        return "ModelFollower[" + topic + (served == null ? "" : ", " + served) + "]";
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        closed.countDown();
        TopicReader c = consumer;
        if (c != null) {
            c.wakeup();
        }
        thread.join(Duration.ofSeconds(10).toMillis());
    }
}
