package dev.osprey.broker;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker (KRaft, combined broker and controller) running inside
 * this JVM, for {@code osprey demo}, {@code osprey broker} and the integration tests.
 *
 * <p>The storage under {@code dataDir} is formatted on the first start only, so a broker started
 * again on the same directory keeps its topics and records. Internal topics are created with
 * replication 1, and the largest accepted message leaves room for a model artifact
 * ({@link OspreyTopics#MODEL_MAX_BYTES}).
 *
 * <p>While the broker runs, Kafka's fatal-fault handler does not halt the JVM: the fault is
 * logged and reported by {@link #fatalFault()} instead. Close the broker before {@code main}
 * returns: while it runs, Kafka's threads (its Yammer metrics among them) keep the JVM alive.
 */
public final class EmbeddedBroker implements AutoCloseable {

    /** Room for a model artifact (the model size limit) plus the record and batch overhead: 80 MiB. */
    public static final int MESSAGE_MAX_BYTES = OspreyTopics.MODEL_MAX_BYTES + 16 * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final int NODE_ID = 1;
    /** The host the broker listens on. */
    public static final String HOST = "localhost";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Optional<SaslUser> sasl;
    private final Optional<TlsMaterial> tls;
    private final Path dataDir;
    /** Faults are reported JVM-wide; this broker reports those after its start. */
    private final long faultMark;
    private final DataDirLock lock;
    private boolean closed;
    /** Whether close() should release the directory lock; a failed start attempt keeps it for a retry. */
    private boolean ownsLock = true;

    private EmbeddedBroker(KafkaRaftServer server, String bootstrapServers, Optional<SaslUser> sasl,
                           Optional<TlsMaterial> tls, Path dataDir, long faultMark, DataDirLock lock) {
        this.server = server;
        this.sasl = sasl;
        this.tls = tls;
        this.lock = lock;
        this.faultMark = faultMark;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
    }

    /**
     * Starts a broker that keeps its data under {@code dataDir} and listens on {@code port}
     * ({@code 0}: a free port), and waits until it answers clients.
     *
     * @throws EmbeddedBrokerException when the storage cannot be formatted or the broker does not
     *                                 come up within 60 s
     */
    public static EmbeddedBroker start(Path dataDir, int port) {
        return start(dataDir, port, false, Optional.empty(), Optional.empty());
    }

    /**
     * Starts a broker whose client listener takes only authenticated connections (SASL over
     * plaintext: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512) for {@code user}, whose SCRAM credentials
     * are stored (again) at every start. Clients use {@link #clientProperties()}.
     */
    public static EmbeddedBroker startSecured(Path dataDir, int port, SaslUser user) {
        return start(dataDir, port, false, Optional.of(user), Optional.empty());
    }

    /**
     * Starts a broker whose client listener speaks TLS with the key and certificate of
     * {@code material} (and, when it says so, takes only clients with a certificate its truststore
     * vouches for); the controller listener stays plaintext on loopback. Clients use
     * {@link #clientProperties()}.
     */
    public static EmbeddedBroker startTls(Path dataDir, int port, TlsMaterial material) {
        return start(dataDir, port, false, Optional.empty(), Optional.of(material));
    }

    /**
     * Starts a broker with the size limits Kafka ships (1 MB records, topics auto-created on first
     * use), as a user's stock cluster has them: tests use it to prove Osprey needs nothing more.
     */
    public static EmbeddedBroker startStock(Path dataDir, int port) {
        return start(dataDir, port, true, Optional.empty(), Optional.empty());
    }

    private static EmbeddedBroker start(Path dataDir, int port, boolean stock, Optional<SaslUser> sasl,
                                        Optional<TlsMaterial> tls) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("broker port must be in [0, 65535], not " + port);
        }
        Path absolute = dataDir.toAbsolutePath();
        DataDirLock lock = DataDirLock.acquire(absolute);
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(absolute, port == 0 ? freePort() : port, lock, stock, sasl, tls);
            } catch (EmbeddedBrokerException e) {
                // A port found free can be taken by another process before the broker binds it.
                boolean portRace = port == 0 && rootCause(e) instanceof BindException;
                if (!portRace || attempt == 3) {
                    lock.close();
                    throw e;
                }
                LOG.info("Port taken before the broker could bind it; trying other ports");
            }
        }
    }

    private static EmbeddedBroker startOnce(Path dataDir, int brokerPort, DataDirLock lock, boolean stock,
                                            Optional<SaslUser> sasl, Optional<TlsMaterial> tls) {
        Path logDir = dataDir.resolve("kafka-logs");
        int controllerPort = freePort();
        Properties props = brokerProperties(logDir, brokerPort, controllerPort);
        if (stock) {
            STOCK_DEFAULTS.forEach(props::remove);
        }
        sasl.ifPresent(user -> props.putAll(user.listenerProperties(HOST, brokerPort, CONTROLLER_LISTENER,
                controllerPort)));
        tls.ifPresent(material -> props.putAll(material.listenerProperties(HOST, brokerPort, CONTROLLER_LISTENER,
                controllerPort)));
        KafkaConfig config = new KafkaConfig(props, false);
        long started = System.nanoTime();
        formatIfNew(config, logDir);

        String bootstrap = HOST + ":" + brokerPort;
        FatalFaultGuard.acquire();
        long faultMark = FatalFaultGuard.mark();
        EmbeddedBroker broker = null;
        try {
            // The constructor already locks and reads the log directories, so it can fail too.
            broker = new EmbeddedBroker(new KafkaRaftServer(config, Time.SYSTEM), bootstrap, sasl, tls, dataDir,
                    faultMark, lock);
            broker.server.startup();
            // SCRAM credentials live in the cluster metadata, so the first connection uses PLAIN.
            KafkaSettings bootstrapClient = sasl.isPresent() ? broker.clientSettings(SaslUser.PLAIN)
                    : broker.clientSettings();
            awaitReady(bootstrapClient, START_TIMEOUT);
            if (sasl.isPresent()) {
                sasl.get().storeScramCredentials(bootstrapClient, START_TIMEOUT);
                awaitReady(broker.clientSettings(), START_TIMEOUT); // until the broker knows them
            }
        } catch (RuntimeException e) {
            if (broker != null) {
                broker.ownsLock = false;
                broker.close();
            } else {
                FatalFaultGuard.release();
            }
            throw e instanceof EmbeddedBrokerException ebe ? ebe
                    : new EmbeddedBrokerException("the embedded Kafka broker in " + dataDir + " failed to start: "
                            + rootCause(e).getMessage(), e);
        }
        LOG.info("Embedded Kafka broker at {} (data in {}) started in {} ms", bootstrap, dataDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return broker;
    }

    /** The {@code host:port} clients connect to. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * The client properties a Kafka client needs besides {@code bootstrap.servers}: none for a
     * plaintext broker; the SASL settings (SCRAM-SHA-512) of its user for a secured one; for a
     * TLS one {@code security.protocol=SSL} and the truststore (and, with mutual TLS, the keystore).
     */
    public Map<String, String> clientProperties() {
        if (tls.isPresent()) {
            return tls.get().clientProperties();
        }
        return sasl.map(user -> user.clientProperties(SaslUser.SCRAM_SHA_512)).orElse(Map.of());
    }

    private KafkaSettings clientSettings() {
        return new KafkaSettings(bootstrapServers, OspreyTopics.defaults(), clientProperties());
    }

    private KafkaSettings clientSettings(String mechanism) {
        return new KafkaSettings(bootstrapServers, OspreyTopics.defaults(),
                sasl.orElseThrow().clientProperties(mechanism));
    }

    /** The directory the broker keeps its data in. */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * The last fatal fault Kafka reported since this broker started, if any. Kafka reports faults
     * JVM-wide, so with several embedded brokers running a fault may belong to another one.
     */
    public Optional<String> fatalFault() {
        return FatalFaultGuard.lastFaultSince(faultMark);
    }

    /** Shuts the broker down and waits for it, at most 60 s. Calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Shutdown waits on Kafka's own threads; run it on a helper thread so a stuck broker
        // cannot block the caller (a test, or the app's shutdown) for ever.
        Thread stopper = new Thread(() -> {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                LOG.warn("Embedded Kafka broker at {} failed to shut down cleanly", bootstrapServers, e);
            }
        }, "osprey-broker-shutdown");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(STOP_TIMEOUT.toMillis());
            if (stopper.isAlive()) {
                LOG.warn("Embedded Kafka broker at {} did not shut down within {}", bootstrapServers, STOP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            FatalFaultGuard.release();
            // Kept while a stuck broker may still write, so no other broker opens the directory.
            if (ownsLock && !stopper.isAlive()) {
                lock.close();
            }
        }
    }

    @Override
    public String toString() {
        return "EmbeddedBroker[" + bootstrapServers + ", " + dataDir + "]";
    }

    /** What {@link #startStock} leaves at Kafka's defaults. */
    private static final List<String> STOCK_DEFAULTS = List.of("message.max.bytes", "replica.fetch.max.bytes",
            "socket.request.max.bytes");

    static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort) {
        return brokerProperties(logDir, NODE_ID, brokerPort, controllerPort,
                NODE_ID + "@" + HOST + ":" + controllerPort, 1);
    }

    /**
     * The settings of one combined broker and controller: node {@code nodeId} of the quorum
     * {@code voters} ({@code id@host:port,...}), internal topics replicated {@code replication}
     * times (min ISR {@code replication - 1}, at least 1).
     */
    static Properties brokerProperties(Path logDir, int nodeId, int brokerPort, int controllerPort, String voters,
                                       int replication) {
        String rf = String.valueOf(replication);
        String minIsr = String.valueOf(Math.max(1, replication - 1));
        Properties p = new Properties();
        p.putAll(Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", String.valueOf(nodeId)),
                Map.entry("controller.quorum.voters", voters),
                Map.entry("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ","
                        + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort),
                Map.entry("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort),
                Map.entry("controller.listener.names", CONTROLLER_LISTENER),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"),
                Map.entry("log.dirs", logDir.toString()),
                // Topics created without a replication factor (Streams' internal ones) get the cluster's.
                Map.entry("default.replication.factor", rf),
                Map.entry("min.insync.replicas", minIsr),
                Map.entry("offsets.topic.replication.factor", rf),
                Map.entry("offsets.topic.num.partitions", "4"),
                Map.entry("transaction.state.log.replication.factor", rf),
                Map.entry("transaction.state.log.min.isr", minIsr),
                Map.entry("transaction.state.log.num.partitions", "4"),
                Map.entry("share.coordinator.state.topic.replication.factor", rf),
                Map.entry("share.coordinator.state.topic.min.isr", minIsr),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                // Model artifacts travel as single records.
                Map.entry("message.max.bytes", String.valueOf(MESSAGE_MAX_BYTES)),
                Map.entry("replica.fetch.max.bytes", String.valueOf(MESSAGE_MAX_BYTES)),
                Map.entry("socket.request.max.bytes", String.valueOf(MESSAGE_MAX_BYTES + 16 * 1024 * 1024)),
                // The default 128 MB cleaner buffer is allocated at start; only `models` is compacted.
                Map.entry("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024)),
                // Sized for a small machine; the defaults assume a dedicated server.
                Map.entry("num.network.threads", "2"),
                Map.entry("num.io.threads", "4"),
                Map.entry("num.recovery.threads.per.data.dir", "1")));
        return p;
    }

    private static void formatIfNew(KafkaConfig config, Path logDir) {
        formatIfNew(config, logDir, NODE_ID, Uuid.randomUuid().toString());
    }

    /** Formats the storage of node {@code nodeId} of cluster {@code clusterId}, unless it already is. */
    static void formatIfNew(KafkaConfig config, Path logDir, int nodeId, String clusterId) {
        if (Files.exists(logDir.resolve(MetaPropertiesEnsemble.META_PROPERTIES_NAME))) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            // Kafka's default features, as a new cluster is formatted: transactions v2 (KIP-890) included.
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
                    .setNodeId(nodeId)
                    .setClusterId(clusterId)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .addDirectory(logDir.toString())
                    .run();
            LOG.info("Formatted Kafka storage in {}", logDir);
        } catch (Exception e) {
            throw new EmbeddedBrokerException("cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private static void awaitReady(KafkaSettings settings, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String bootstrap = settings.bootstrapServers();
        Properties props = settings.adminProperties(Duration.ofSeconds(5));
        try (Admin admin = Admin.create(props)) {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new EmbeddedBrokerException("the embedded Kafka broker at " + bootstrap
                            + " did not become ready within " + timeout);
                }
                try {
                    // Fenced brokers are left out by default, so seeing our node means it takes writes.
                    boolean ready = admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                            .nodes().get(Math.min(left, TimeUnit.SECONDS.toNanos(5)), TimeUnit.NANOSECONDS)
                            .stream().map(Node::id).anyMatch(id -> id == NODE_ID);
                    if (ready) {
                        return;
                    }
                    Thread.sleep(50);
                } catch (ExecutionException | TimeoutException e) {
                    LOG.debug("Embedded Kafka broker at {} not ready yet: {}", bootstrap, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EmbeddedBrokerException("interrupted while waiting for the broker at " + bootstrap, e);
                }
            }
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }
}
