package dev.osprey.core.config;

import dev.osprey.core.topic.OspreyTopics;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Where Osprey's Kafka is and what its topics are called, plus the client settings every service
 * starts from.
 *
 * <p>The {@code *Properties} helpers return fresh, mutable {@link Properties} with no serializers
 * set; callers add their own settings on top (or use {@code putIfAbsent} to keep a user's value).
 *
 * @param bootstrapServers comma-separated {@code host:port} list
 * @param topics           topic names, under the configured prefix
 */
public record KafkaSettings(String bootstrapServers, OspreyTopics topics) {

    public static final String ENV_BOOTSTRAP_SERVERS = "OSPREY_BOOTSTRAP_SERVERS";
    public static final String ENV_TOPIC_PREFIX = "OSPREY_TOPIC_PREFIX";
    public static final String ENV_IMAGE_PARTITIONS = "OSPREY_IMAGE_PARTITIONS";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    /**
     * The largest request a producer sends: a whole model artifact plus record and batch
     * overhead. Brokers must accept at least this ({@code message.max.bytes}).
     */
    public static final int MAX_REQUEST_BYTES = OspreyTopics.MODEL_MAX_BYTES + 1024 * 1024;

    private static final Pattern HOST_PORT = Pattern.compile("[^\\s:,]+:\\d{1,5}|\\[[0-9a-fA-F:.]+]:\\d{1,5}");
    private static final Pattern TOPIC_CHARS = Pattern.compile("[a-zA-Z0-9._-]*");

    public KafkaSettings {
        Objects.requireNonNull(topics, "topics");
        bootstrapServers = validateBootstrap(bootstrapServers);
        validatePrefix(topics.prefix());
    }

    /** Settings for {@code bootstrapServers} and topics under {@code topicPrefix} (may be empty). */
    public static KafkaSettings of(String bootstrapServers, String topicPrefix) {
        return new KafkaSettings(bootstrapServers,
                new OspreyTopics(topicPrefix, OspreyTopics.DEFAULT_IMAGE_PARTITIONS));
    }

    /**
     * Reads the settings: the bootstrap servers from the flag when given, else
     * {@value #ENV_BOOTSTRAP_SERVERS}, else {@value #DEFAULT_BOOTSTRAP_SERVERS}; the topic prefix
     * from {@value #ENV_TOPIC_PREFIX} and the partition count of the image topics from
     * {@value #ENV_IMAGE_PARTITIONS}.
     *
     * @throws IllegalArgumentException naming the flag or variable, for a malformed value
     */
    public static KafkaSettings fromEnv(String flagValueOrNull, Map<String, String> env) {
        String bootstrap = firstNonBlank(flagValueOrNull, env.get(ENV_BOOTSTRAP_SERVERS));
        String source = bootstrap == null ? "default"
                : isBlank(flagValueOrNull) ? ENV_BOOTSTRAP_SERVERS : "--bootstrap-servers";
        if (bootstrap == null) {
            bootstrap = DEFAULT_BOOTSTRAP_SERVERS;
        }
        String prefix = env.getOrDefault(ENV_TOPIC_PREFIX, "").trim();
        int partitions = OspreyTopics.DEFAULT_IMAGE_PARTITIONS;
        String partitionsText = env.get(ENV_IMAGE_PARTITIONS);
        if (!isBlank(partitionsText)) {
            try {
                partitions = Integer.parseInt(partitionsText.trim());
            } catch (NumberFormatException e) {
                partitions = 0;
            }
            if (partitions <= 0) {
                throw new IllegalArgumentException(ENV_IMAGE_PARTITIONS + " must be a positive integer, not '"
                        + partitionsText + "'");
            }
        }
        try {
            validateBootstrap(bootstrap);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        try {
            validatePrefix(prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ENV_TOPIC_PREFIX + ": " + e.getMessage(), e);
        }
        return new KafkaSettings(bootstrap, new OspreyTopics(prefix, partitions));
    }

    /** The topic prefix, possibly empty. */
    public String topicPrefix() {
        return topics.prefix();
    }

    /** A copy of these settings with topics under another prefix (tests use one per test). */
    public KafkaSettings withTopicPrefix(String prefix) {
        return new KafkaSettings(bootstrapServers, new OspreyTopics(prefix, topics.imagePartitions()));
    }

    /** Admin client settings. */
    public Properties adminProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    /**
     * Producer settings: every record acknowledged by all in-sync replicas, idempotent, LZ4
     * batches (cheap on the CPU, and raw pixels compress well), requests large enough for a
     * model artifact, and batching tuned for many small image records.
     */
    public Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(MAX_REQUEST_BYTES));
        // A record larger than the buffer is refused outright, so the buffer must hold one artifact.
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(2L * MAX_REQUEST_BYTES));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        return p;
    }

    /**
     * Consumer settings for {@code groupId}: start from the earliest record of a new group, and read
     * only committed records, since the classifier writes its outputs in transactions.
     */
    public Properties consumerProperties(String groupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, Objects.requireNonNull(groupId, "groupId"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }

    private static String validateBootstrap(String value) {
        if (isBlank(value)) {
            throw new IllegalArgumentException("bootstrap servers must not be empty");
        }
        String trimmed = value.trim();
        for (String part : trimmed.split(",", -1)) {
            String server = part.trim();
            if (!HOST_PORT.matcher(server).matches()) {
                throw new IllegalArgumentException("bootstrap servers must be host:port[,host:port...], but '"
                        + server + "' in '" + trimmed + "' is not host:port");
            }
            int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
            if (port == 0 || port > 65535) {
                throw new IllegalArgumentException("bootstrap servers: port " + port + " in '" + server
                        + "' is not in [1, 65535]");
            }
        }
        return trimmed;
    }

    private static void validatePrefix(String prefix) {
        if (!TOPIC_CHARS.matcher(prefix).matches()) {
            throw new IllegalArgumentException("topic prefix '" + prefix
                    + "' may contain only letters, digits, '.', '_' and '-'");
        }
        if (prefix.length() > 200) {
            throw new IllegalArgumentException("topic prefix is " + prefix.length()
                    + " characters long; Kafka topic names are limited to 249");
        }
    }

    private static String firstNonBlank(String a, String b) {
        return !isBlank(a) ? a : !isBlank(b) ? b : null;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
