package dev.osprey.core.topic;

import dev.osprey.core.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Osprey's topics when they are missing.
 *
 * <p>Every service calls this at start, possibly at the same moment as another one: a topic that
 * already exists, or that another process creates first, is left as it is. Existing topics are
 * never altered; a partition count lower than the spec is only logged.
 */
public final class TopicAdmin {

    /** The bound used by {@link #ensureTopics(KafkaSettings)}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** How long {@link #requireBroker} waits for a broker to answer. */
    public static final Duration BROKER_TIMEOUT = Duration.ofSeconds(8);

    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
    private static final int MAX_REPLICATION = 3;

    private TopicAdmin() {
    }

    /**
     * Connects to {@code bootstrapServers} with Osprey's default client settings and creates the
     * missing ones of {@code topics.all()}, waiting at most {@link #DEFAULT_TIMEOUT}.
     */
    public static void ensureTopics(String bootstrapServers, OspreyTopics topics) {
        ensureTopics(new KafkaSettings(bootstrapServers, topics));
    }

    /**
     * Connects to the cluster of {@code settings} (with the user's client settings) and creates the
     * missing ones of its topics, waiting at most {@link #DEFAULT_TIMEOUT}.
     */
    public static void ensureTopics(KafkaSettings settings) {
        try (Admin admin = Admin.create(settings.adminProperties())) {
            requireBroker(admin, settings.bootstrapServers(), BROKER_TIMEOUT);
            ensureTopics(admin, settings.topics().all(), DEFAULT_TIMEOUT);
        }
    }

    /**
     * Checks that a broker of {@code settings} answers (and accepts the credentials) within
     * {@link #BROKER_TIMEOUT}, so a command fails in one line instead of retrying for minutes.
     *
     * @throws KafkaException whose message says which address did not answer, or why it refused
     */
    public static void requireBroker(KafkaSettings settings) {
        try (Admin admin = Admin.create(settings.adminProperties())) {
            requireBroker(admin, settings.bootstrapServers(), BROKER_TIMEOUT);
        }
    }

    private static void requireBroker(Admin admin, String bootstrap, Duration timeout) {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException) {
                throw new KafkaException("cannot authenticate to " + bootstrap + ": " + cause.getMessage(), cause);
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw noBroker(bootstrap, timeout, cause);
            }
            throw new KafkaException("cannot use Kafka at " + bootstrap + ": " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw noBroker(bootstrap, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    private static KafkaException noBroker(String bootstrap, Duration timeout, Throwable cause) {
        return new KafkaException("no Kafka broker answered at " + bootstrap + " within " + timeout.toSeconds()
                + " s (is 'osprey demo' or 'osprey broker' running?)", cause);
    }

    /**
     * Creates each topic of {@code specs} that does not exist yet, with replication factor
     * min(3, number of brokers), and waits until the leader of every partition accepts requests,
     * so a producer started next does not race the topic's creation.
     *
     * @throws KafkaException with the topic name, when a topic cannot be created or checked
     * @throws org.apache.kafka.common.errors.TimeoutException when {@code timeout} runs out
     * @throws InterruptException when the thread is interrupted (its flag stays set)
     */
    public static void ensureTopics(Admin admin, Collection<TopicSpec> specs, Duration timeout) {
        if (specs.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int brokers = get(admin.describeCluster().nodes(), deadline, "describe the cluster").size();
        short replication = (short) Math.max(1, Math.min(MAX_REPLICATION, brokers));
        Set<String> existing = get(admin.listTopics().names(), deadline, "list topics");

        List<NewTopic> missing = new ArrayList<>();
        for (TopicSpec spec : specs) {
            if (!existing.contains(spec.name())) {
                Map<String, String> configs = new HashMap<>(spec.configs());
                if (replication >= MAX_REPLICATION) {
                    // An acknowledged write survives the loss of any one broker, and a topic still
                    // takes writes while one broker is down.
                    configs.putIfAbsent(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(replication - 1));
                }
                missing.add(new NewTopic(spec.name(), spec.partitions(), replication).configs(configs));
            }
        }
        if (!missing.isEmpty()) {
            Map<String, KafkaFuture<Void>> created = admin.createTopics(missing).values();
            for (Map.Entry<String, KafkaFuture<Void>> e : created.entrySet()) {
                if (awaitCreation(e.getValue(), deadline, e.getKey())) {
                    LOG.info("Created topic {} (replication {}{})", e.getKey(), replication,
                            replication >= MAX_REPLICATION ? ", min.insync.replicas " + (replication - 1) : "");
                }
            }
        }
        awaitLeaders(admin, specs, deadline);
    }

    /** True when this call created the topic, false when someone else had. */
    private static boolean awaitCreation(KafkaFuture<Void> future, long deadline, String topic) {
        try {
            future.get(remainingNanos(deadline, "create topic " + topic), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw new KafkaException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw timedOut("create topic " + topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    /**
     * Waits until every partition's leader serves requests. The cluster metadata names a leader a
     * moment before that broker's replica manager takes the partition; a producer that writes in
     * that window gets NOT_LEADER_OR_FOLLOWER for its first batch while later batches get in, and
     * an idempotent producer then retries the first one with OUT_OF_ORDER_SEQUENCE_NUMBER until its
     * delivery timeout (seen on Kafka 4.3.1 with a topic created just before). Listing offsets
     * goes to the leader's replica manager, and the admin client retries it until it answers.
     */
    private static void awaitLeaders(Admin admin, Collection<TopicSpec> specs, long deadline) {
        Set<String> names = specs.stream().map(TopicSpec::name).collect(Collectors.toSet());
        Map<String, TopicDescription> described;
        while (true) {
            try {
                described = get(admin.describeTopics(names).allTopicNames(), deadline, "describe topics " + names);
                break;
            } catch (KafkaException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                // Created a moment ago by a concurrent creator: not in this broker's metadata yet.
                pause(deadline, "see topics " + names);
            }
        }
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (TopicSpec spec : specs) {
            TopicDescription d = described.get(spec.name());
            if (d.partitions().size() < spec.partitions()) {
                LOG.warn("Topic {} has {} partitions, fewer than the {} Osprey would create; left as it is",
                        spec.name(), d.partitions().size(), spec.partitions());
            }
            d.partitions().forEach(p -> partitions.put(new TopicPartition(spec.name(), p.partition()),
                    OffsetSpec.latest()));
        }
        get(admin.listOffsets(partitions).all(), deadline, "reach the leaders of " + names);
    }

    private static <T> T get(KafkaFuture<T> future, long deadline, String what) {
        try {
            return future.get(remainingNanos(deadline, what), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw timedOut(what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    private static void pause(long deadline, String what) {
        remainingNanos(deadline, what);
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    private static long remainingNanos(long deadline, String what) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timedOut(what);
        }
        return left;
    }

    private static org.apache.kafka.common.errors.TimeoutException timedOut(String what) {
        return new org.apache.kafka.common.errors.TimeoutException("timed out trying to " + what);
    }
}
