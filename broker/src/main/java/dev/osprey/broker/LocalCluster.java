package dev.osprey.broker;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka cluster of {@code n} KRaft nodes (each a combined broker and controller), every node its
 * own JVM running Kafka's own {@code kafka.Kafka} main from this process's classpath, as a user
 * runs Kafka: so a node can be killed with {@code kill -9} and started again on its data.
 * Internal topics are replicated on three nodes (or all, when fewer) with a minimum ISR one less.
 * Node output goes to {@code <dir>/node-<id>.log}.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final List<Integer> brokerPorts;
    private final List<Path> configs;
    private final Process[] nodes;
    private final String bootstrapServers;

    private LocalCluster(Path dir, List<Integer> brokerPorts, List<Path> configs) {
        this.dir = dir;
        this.brokerPorts = brokerPorts;
        this.configs = configs;
        this.nodes = new Process[brokerPorts.size()];
        this.bootstrapServers = brokerPorts.stream().map(p -> EmbeddedBroker.HOST + ":" + p)
                .collect(Collectors.joining(","));
    }

    /**
     * Formats {@code n} nodes under {@code dir} (one cluster id), starts them and waits until every
     * broker is registered and unfenced.
     */
    public static LocalCluster start(Path dir, int n) {
        if (n < 1 || n > 9) {
            throw new IllegalArgumentException("a local cluster has 1 to 9 nodes, not " + n);
        }
        List<Integer> brokerPorts = new ArrayList<>();
        List<Integer> controllerPorts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            brokerPorts.add(EmbeddedBroker.freePort());
            controllerPorts.add(EmbeddedBroker.freePort());
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < n; i++) {
            voters.append(i == 0 ? "" : ",").append(i + 1).append('@').append(EmbeddedBroker.HOST).append(':')
                    .append(controllerPorts.get(i));
        }
        String clusterId = Uuid.randomUuid().toString();
        List<Path> configs = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                int nodeId = i + 1;
                Path logDir = dir.toAbsolutePath().resolve("node-" + nodeId);
                Properties props = EmbeddedBroker.brokerProperties(logDir, nodeId, brokerPorts.get(i),
                        controllerPorts.get(i), voters.toString(), Math.min(3, n));
                EmbeddedBroker.formatIfNew(new KafkaConfig(props, false), logDir, nodeId, clusterId);
                Path config = dir.toAbsolutePath().resolve("node-" + nodeId + ".properties");
                try (OutputStream out = Files.newOutputStream(config)) {
                    props.store(out, "node " + nodeId + " of a LocalCluster");
                }
                configs.add(config);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the node settings under " + dir, e);
        }
        LocalCluster cluster = new LocalCluster(dir.toAbsolutePath(), brokerPorts, configs);
        try {
            for (int id = 1; id <= n; id++) {
                cluster.startNode(id);
            }
            cluster.awaitBrokers(n, START_TIMEOUT);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        LOG.info("Local Kafka cluster of {} nodes at {} (data in {})", n, cluster.bootstrapServers, dir);
        return cluster;
    }

    /** Every node's {@code host:port}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Client settings for this cluster and Osprey's topics under {@code topicPrefix}. */
    public KafkaSettings settings(String topicPrefix) {
        return new KafkaSettings(bootstrapServers, new OspreyTopics(topicPrefix, OspreyTopics.DEFAULT_IMAGE_PARTITIONS),
                Map.of());
    }

    /** Starts node {@code id} (1-based) on its data; it must not be running. */
    public synchronized void startNode(int id) {
        int i = index(id);
        if (nodes[i] != null && nodes[i].isAlive()) {
            throw new IllegalStateException("node " + id + " is running");
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-cp", System.getProperty("java.class.path"), "kafka.Kafka",
                    configs.get(i).toString());
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + id + ".log").toFile()));
            nodes[i] = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Kafka node " + id, e);
        }
    }

    /** Kills node {@code id} as {@code kill -9} does and waits until it is gone. */
    public synchronized void kill(int id) throws InterruptedException {
        Process p = nodes[index(id)];
        if (p != null) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The node id that leads {@code partition} now. */
    public int leaderOf(TopicPartition partition) {
        try (Admin admin = Admin.create(settings("").adminProperties(Duration.ofSeconds(10)))) {
            return admin.describeTopics(List.of(partition.topic())).allTopicNames().get(20, TimeUnit.SECONDS)
                    .get(partition.topic()).partitions().get(partition.partition()).leader().id();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot find the leader of " + partition + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Waits until {@code count} brokers are registered and unfenced. */
    public void awaitBrokers(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(settings("").adminProperties(Duration.ofSeconds(5)))) {
            while (System.nanoTime() < deadline) {
                try {
                    List<Node> live = new ArrayList<>(admin.describeCluster(new DescribeClusterOptions()
                            .timeoutMs(5000)).nodes().get(6, TimeUnit.SECONDS));
                    if (live.size() >= count) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    LOG.debug("cluster not ready yet: {}", e.toString());
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedBrokerException("interrupted while waiting for the cluster at " + bootstrapServers, e);
        }
        throw new EmbeddedBrokerException(count + " brokers of " + bootstrapServers + " did not come up within "
                + timeout + " (see " + dir + "/node-*.log)");
    }

    private int index(int id) {
        if (id < 1 || id > nodes.length) {
            throw new IllegalArgumentException("no node " + id + " in a cluster of " + nodes.length);
        }
        return id - 1;
    }

    /** Kills every node. */
    @Override
    public synchronized void close() {
        for (Process p : nodes) {
            if (p != null) {
                p.destroy();
            }
        }
        for (Process p : nodes) {
            try {
                if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    @Override
    public String toString() {
        return "LocalCluster" + new TreeMap<>(Map.of("nodes", nodes.length, "bootstrap", bootstrapServers));
    }
}
