package dev.osprey.core.config;

import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where Osprey's Kafka is and what its topics are called, plus the client settings every service
 * starts from.
 *
 * <p>Every Kafka client Osprey opens starts from one of the {@code *Properties} methods here, so a
 * user's client settings (SASL, TLS, timeouts, tuning) reach all of them. They are layered:
 * Osprey's defaults &lt; {@code --kafka-config FILE} (Kafka's own {@code client.properties}
 * format; env {@value #ENV_CONFIG_FILE}) &lt; {@code OSPREY_KAFKA_<NAME>} environment variables
 * &lt; {@code --kafka-property KEY=VALUE}. Where Osprey needs a value for correctness it keeps its
 * own and logs that the user's value is not used. The methods return fresh, mutable
 * {@link Properties} with no serializers set. {@link #toString()} hides secrets.
 *
 * @param bootstrapServers comma-separated {@code host:port} list
 * @param topics           topic names, under the configured prefix
 * @param clientProperties the user's client settings, layered as above (never {@code bootstrap.servers})
 */
public record KafkaSettings(String bootstrapServers, OspreyTopics topics, Map<String, String> clientProperties) {

    public static final String ENV_BOOTSTRAP_SERVERS = "OSPREY_BOOTSTRAP_SERVERS";
    public static final String ENV_TOPIC_PREFIX = "OSPREY_TOPIC_PREFIX";
    public static final String ENV_IMAGE_PARTITIONS = "OSPREY_IMAGE_PARTITIONS";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    /** A Kafka client properties file, as {@code --kafka-config} gives it. */
    public static final String ENV_CONFIG_FILE = "OSPREY_KAFKA_CONFIG";
    /** {@code OSPREY_KAFKA_SECURITY_PROTOCOL} is {@code security.protocol}. */
    public static final String ENV_PROPERTY_PREFIX = "OSPREY_KAFKA_";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSettings.class);
    /** {@code OSPREY_KAFKA_*} variables that are Osprey's own, not client properties. */
    private static final Set<String> RESERVED_ENV = Set.of(ENV_CONFIG_FILE, "OSPREY_KAFKA_LOG_LEVEL");
    private static final Pattern SECRET_KEY = Pattern.compile(".*(password|jaas|secret|token|credential).*");

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
        Map<String, String> copy = new LinkedHashMap<>(Objects.requireNonNull(clientProperties, "clientProperties"));
        copy.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        clientProperties = Collections.unmodifiableMap(copy);
    }

    /** Settings with Osprey's defaults only. */
    public KafkaSettings(String bootstrapServers, OspreyTopics topics) {
        this(bootstrapServers, topics, Map.of());
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
        return fromSources(flagValueOrNull, null, List.of(), env);
    }

    /**
     * Reads the settings as {@link #fromEnv} does, and the user's client properties from
     * {@code configFile} (else {@value #ENV_CONFIG_FILE}), the {@code OSPREY_KAFKA_<NAME>} variables
     * and {@code propertyFlags} ({@code KEY=VALUE}), each layer over the one before. A
     * {@code bootstrap.servers} among them counts below {@code --bootstrap-servers} and
     * {@value #ENV_BOOTSTRAP_SERVERS}.
     *
     * @throws IllegalArgumentException naming the flag, file or variable, for a malformed value
     */
    public static KafkaSettings fromSources(String flagValueOrNull, Path configFile, List<String> propertyFlags,
                                            Map<String, String> env) {
        return fromSources(flagValueOrNull, configFile, propertyFlags, env, DEFAULT_BOOTSTRAP_SERVERS);
    }

    /**
     * As {@link #fromSources(String, Path, List, Map)}, with {@code fallbackBootstrap} where no
     * source names the servers (the CLI passes the address of a running {@code osprey demo}).
     */
    public static KafkaSettings fromSources(String flagValueOrNull, Path configFile, List<String> propertyFlags,
                                            Map<String, String> env, String fallbackBootstrap) {
        Map<String, String> user = userProperties(configFile, propertyFlags, env);
        String userBootstrap = user.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        String bootstrap = firstNonBlank(flagValueOrNull, firstNonBlank(env.get(ENV_BOOTSTRAP_SERVERS), userBootstrap));
        String source = bootstrap == null ? "default"
                : !isBlank(flagValueOrNull) ? "--bootstrap-servers"
                : !isBlank(env.get(ENV_BOOTSTRAP_SERVERS)) ? ENV_BOOTSTRAP_SERVERS : "the Kafka client properties";
        if (bootstrap == null) {
            bootstrap = fallbackBootstrap;
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
        return new KafkaSettings(bootstrap, new OspreyTopics(prefix, partitions), user);
    }

    /** The user's layered client properties: file, then environment, then flags. */
    static Map<String, String> userProperties(Path configFile, List<String> propertyFlags, Map<String, String> env) {
        Map<String, String> user = new LinkedHashMap<>();
        String envFile = env.get(ENV_CONFIG_FILE);
        if (configFile != null) {
            user.putAll(readFile(configFile, "--kafka-config"));
        } else if (!isBlank(envFile)) {
            user.putAll(readFile(Path.of(envFile.trim()), ENV_CONFIG_FILE));
        }
        env.entrySet().stream()
                .filter(e -> e.getKey().startsWith(ENV_PROPERTY_PREFIX) && !RESERVED_ENV.contains(e.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> user.put(propertyName(e.getKey()), e.getValue()));
        for (String flag : propertyFlags) {
            int eq = flag.indexOf('=');
            if (eq <= 0 || flag.substring(0, eq).isBlank()) {
                throw new IllegalArgumentException("--kafka-property must be KEY=VALUE, not '" + flag + "'");
            }
            user.put(flag.substring(0, eq).trim(), flag.substring(eq + 1));
        }
        return user;
    }

    /**
     * {@code OSPREY_KAFKA_SASL_MECHANISM} is {@code sasl.mechanism}: as the common Kafka container
     * images do it, {@code _} is a dot, {@code __} an underscore and {@code ___} a dash.
     */
    static String propertyName(String envName) {
        String name = envName.substring(ENV_PROPERTY_PREFIX.length()).toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); ) {
            int run = 0;
            while (i + run < name.length() && name.charAt(i + run) == '_') {
                run++;
            }
            if (run == 0) {
                b.append(name.charAt(i++));
                continue;
            }
            b.append(run == 1 ? "." : run == 2 ? "_" : "-");
            i += run;
        }
        return b.toString();
    }

    private static Map<String, String> readFile(Path file, String source) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": cannot read Kafka client properties from " + file + ": "
                    + e.getMessage(), e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().stream().sorted().forEach(k -> m.put(k, p.getProperty(k).trim()));
        return m;
    }

    /** The topic prefix, possibly empty. */
    public String topicPrefix() {
        return topics.prefix();
    }

    /** A copy of these settings with topics under another prefix (tests use one per test). */
    public KafkaSettings withTopicPrefix(String prefix) {
        return new KafkaSettings(bootstrapServers, new OspreyTopics(prefix, topics.imagePartitions()),
                clientProperties);
    }

    /** A copy with {@code key=value} added to the user's client properties (tests, embedded setups). */
    public KafkaSettings withClientProperty(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(clientProperties);
        m.put(key, value);
        return new KafkaSettings(bootstrapServers, topics, m);
    }

    /** Admin client settings. */
    public Properties adminProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return withUser(p);
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
        return withUser(p);
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
        withUser(p);
        require(p, ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false",
                "Osprey creates its topics itself, with their settings");
        return p;
    }

    /**
     * Settings of a consumer that belongs to no group and reads only committed records: the model
     * follower, the recovery reader, the prediction tail and the publisher's version check assign
     * partitions themselves and never commit.
     */
    public Properties readerProperties() {
        Properties p = consumerProperties("unused");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        require(p, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                "it must not see records of aborted transactions");
        require(p, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false", "it belongs to no consumer group");
        return p;
    }

    /**
     * A group-less reader of {@code models}: fetches sized for a whole artifact (the follower, the
     * publisher's check for the newest version).
     */
    public Properties modelReaderProperties() {
        Properties p = readerProperties();
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(MAX_REQUEST_BYTES));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(MAX_REQUEST_BYTES));
        return p;
    }

    /**
     * A group-less reader of {@code images}, from the earliest retained offset, fetches sized for
     * the largest image (the classifier's recovery of unflushed images).
     */
    public Properties imageReaderProperties() {
        Properties p = readerProperties();
        p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                String.valueOf(OspreyTopics.IMAGE_MAX_BYTES + 1024 * 1024));
        require(p, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", "recovery reads retained records");
        return p;
    }

    /**
     * A consumer that only asks for the committed offsets of group {@code groupId} and never joins
     * it: with {@code read_committed} the fetch waits out open transactions of the group.
     */
    public Properties offsetCheckerProperties(String groupId) {
        Properties p = readerProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        return p;
    }

    /**
     * The transactional producer of a model publisher: the transactional id is one per model name
     * for every publisher, so two publishers fence each other instead of writing one version twice.
     */
    public Properties publisherProperties(String modelName, String clientId) {
        Properties p = producerProperties();
        require(p, ProducerConfig.TRANSACTIONAL_ID_CONFIG, "osprey-models-" + topicPrefix() + modelName,
                "one transactional id per model name keeps versions unique");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "osprey-publisher-" + clientId);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(MAX_REQUEST_BYTES));
        // Weights barely compress, and compressing 64 MiB costs a second for nothing.
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        return p;
    }

    /**
     * A producer named {@code clientId} whose {@code send} waits at most {@code maxBlock} for
     * metadata or buffer space, instead of the default minute (ingest's command and HTTP API).
     */
    public Properties producerProperties(String clientId, Duration maxBlock) {
        Properties p = producerProperties();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(maxBlock.toMillis()));
        return p;
    }

    /**
     * The producer behind a request/response API: sends at once (requests come one at a time), and
     * gives up on a record after {@code deliveryTimeout}, before the request does, so a failed
     * answer means the record was not written.
     */
    public Properties requestProducerProperties(String clientId, Duration deliveryTimeout) {
        Duration bound = Duration.ofSeconds(10);
        Properties p = producerProperties(clientId, bound);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(bound.toMillis()));
        require(p, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(deliveryTimeout.toMillis()),
                "an HTTP answer must not outlive the record's delivery");
        return p;
    }

    /** A group-less reader named {@code clientId} (the HTTP API's prediction tail). */
    public Properties readerProperties(String clientId) {
        Properties p = readerProperties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        return p;
    }

    /** Admin settings whose calls give up after {@code timeout}. */
    public Properties adminProperties(Duration timeout) {
        Properties p = adminProperties();
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(timeout.toMillis()));
        // The admin client refuses an API timeout below its request timeout (30 s by default).
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                String.valueOf(Math.min(timeout.toMillis(), 30_000L)));
        return p;
    }

    /** A producer of rare, small events ({@code training-events}): sent at once. */
    public Properties eventProducerProperties() {
        Properties p = producerProperties();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return p;
    }

    /**
     * Kafka Streams settings for {@code applicationId}: the user's client properties apply to every
     * client Streams opens (and Streams-only keys such as {@code num.standby.replicas} reach Streams).
     */
    public Properties streamsProperties(String applicationId) {
        Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        withUser(p);
        require(p, StreamsConfig.APPLICATION_ID_CONFIG, applicationId, "it is given by --application-id");
        return p;
    }

    /**
     * Osprey's tuning of one client inside Kafka Streams: sets {@code prefix + key} (prefix
     * {@code producer.}, {@code consumer.}, {@code topic.} ...) unless the user set the key, with or
     * without the prefix. Streams lets a prefixed key win over a plain one, so setting the prefixed
     * default regardless would silently override a user's plain {@code linger.ms}.
     */
    public void streamsDefault(Properties p, String prefix, String key, Object value) {
        String prefixed = prefix + key;
        if (!clientProperties.containsKey(key) && !clientProperties.containsKey(prefixed) && !p.containsKey(prefixed)) {
            p.put(prefixed, value);
        }
    }

    /**
     * Sets {@code key} to the value Osprey needs, and says so when the user asked for another one.
     */
    public Properties require(Properties p, String key, String value, String why) {
        String user = clientProperties.get(key);
        if (user != null && !user.equals(value)) {
            LOG.warn("Kafka client property {}={} is not used: Osprey sets {} because {}", key,
                    redacted(key, user), value, why);
        }
        p.put(key, value);
        return p;
    }

    private Properties withUser(Properties p) {
        p.putAll(clientProperties);
        return p;
    }

    /** What can be logged of these settings: secrets are replaced by {@code [hidden]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("KafkaSettings[bootstrapServers=").append(bootstrapServers)
                .append(", topicPrefix=").append(topics.prefix()).append(", clientProperties={");
        String sep = "";
        for (Map.Entry<String, String> e : clientProperties.entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(redacted(e.getKey(), e.getValue()));
            sep = ", ";
        }
        return b.append("}]").toString();
    }

    private static String redacted(String key, String value) {
        return SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches() ? "[hidden]" : value;
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
