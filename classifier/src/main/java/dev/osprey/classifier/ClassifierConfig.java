package dev.osprey.classifier;

import dev.osprey.classifier.batch.BatchSettings;
import dev.osprey.classifier.batch.Parallelism;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the classifier is told at start, validated once.
 *
 * @param kafka            where the cluster is, how to connect, and the topic names
 * @param applicationId    Kafka Streams application id (instances with the same id share partitions)
 * @param batch            micro-batching limits
 * @param guarantee        processing guarantee
 * @param parallelism      stream threads, inference workers, batches in flight, PyTorch intra-op
 *                         threads; by default {@link Parallelism#forThisMachine()}
 * @param commitInterval   Kafka Streams commit interval
 * @param modelName        the one model name to serve; empty serves the first name seen on {@code models}
 * @param stateDir         Kafka Streams state directory; empty uses a fresh temporary one
 * @param instanceId       static group membership id ({@code group.instance.id}); empty for dynamic membership
 */
public record ClassifierConfig(KafkaSettings kafka, String applicationId,
                               BatchSettings batch, Guarantee guarantee, Parallelism parallelism,
                               Duration commitInterval, Optional<String> modelName, Optional<Path> stateDir,
                               Optional<String> instanceId) {

    public static final String DEFAULT_APPLICATION_ID = "osprey-classifier";

    /** The processing guarantee, as named on the command line. */
    public enum Guarantee {
        EXACTLY_ONCE("exactly_once_v2"), AT_LEAST_ONCE("at_least_once");

        private final String streamsValue;

        Guarantee(String streamsValue) {
            this.streamsValue = streamsValue;
        }

        public String streamsValue() {
            return streamsValue;
        }

        /** Parses {@code exactly_once}, {@code exactly_once_v2}, {@code eos}, {@code at_least_once}, {@code alos}. */
        public static Guarantee parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "exactly_once", "exactly_once_v2", "eos" -> EXACTLY_ONCE;
                case "at_least_once", "alos" -> AT_LEAST_ONCE;
                default -> throw new IllegalArgumentException(
                        "unknown guarantee '" + s + "': use exactly_once or at_least_once");
            };
        }
    }

    public ClassifierConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(guarantee, "guarantee");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(instanceId, "instanceId");
        if (applicationId == null || applicationId.isBlank()) {
            throw new IllegalArgumentException("application id must not be blank");
        }
        Objects.requireNonNull(parallelism, "parallelism");
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new IllegalArgumentException("commit interval must be positive: " + commitInterval.toMillis() + " ms");
        }
    }

    /** Defaults for a cluster at {@code bootstrapServers}, with Osprey's default client settings. */
    public static ClassifierConfig defaults(String bootstrapServers, OspreyTopics topics) {
        return defaults(new KafkaSettings(bootstrapServers, topics));
    }

    /** Defaults for the cluster {@code kafka} describes. */
    public static ClassifierConfig defaults(KafkaSettings kafka) {
        return new ClassifierConfig(kafka, kafka.topicPrefix() + DEFAULT_APPLICATION_ID,
                BatchSettings.defaults(), Guarantee.EXACTLY_ONCE, Parallelism.forThisMachine(),
                Duration.ofMillis(100), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Kafka bootstrap servers. */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Topic names. */
    public OspreyTopics topics() {
        return kafka.topics();
    }

    public ClassifierConfig withBatch(BatchSettings newBatch) {
        return new ClassifierConfig(kafka, applicationId, newBatch, guarantee, parallelism, commitInterval,
                modelName, stateDir, instanceId);
    }

    public ClassifierConfig withParallelism(Parallelism p) {
        return new ClassifierConfig(kafka, applicationId, batch, guarantee, p, commitInterval, modelName,
                stateDir, instanceId);
    }

    public ClassifierConfig withGuarantee(Guarantee g) {
        return new ClassifierConfig(kafka, applicationId, batch, g, parallelism,
                commitInterval, modelName, stateDir, instanceId);
    }

    public ClassifierConfig withStateDir(Path dir) {
        return new ClassifierConfig(kafka, applicationId, batch, guarantee, parallelism, commitInterval,
                modelName, Optional.of(dir), instanceId);
    }

    public ClassifierConfig withApplicationId(String id) {
        return new ClassifierConfig(kafka, id, batch, guarantee, parallelism,
                commitInterval, modelName, stateDir, instanceId);
    }
}
