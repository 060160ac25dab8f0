package dev.osprey.app;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.broker.SaslUser;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code osprey broker}: a real single-node KRaft Kafka broker, until Ctrl-C. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Runs a single-node Kafka broker (KRaft) in this process and creates Osprey's topics.")
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${user.home}/.osprey/kafka",
            description = "Log and metadata directory; formatted on first start, kept across restarts "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "${env:OSPREY_TOPIC_PREFIX:-}",
            description = "Prefix of the Osprey topics to create (env OSPREY_TOPIC_PREFIX).")
    String topicPrefix;

    @Option(names = "--sasl-user", paramLabel = "NAME",
            description = "Accept only clients that log in as NAME (SASL PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512). "
                    + "The password comes from env " + PASSWORD_ENV + ", else a random one is made; the client "
                    + "settings are written to DIR/client.properties for --kafka-config.")
    String saslUser;

    static final String PASSWORD_ENV = "OSPREY_BROKER_SASL_PASSWORD";
    static final String CLIENT_CONFIG = "client.properties";

    @Override
    public Integer call() throws Exception {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [1, 65535]: " + port);
        }
        Ports.requireFree(EmbeddedBroker.HOST, port, "--port");
        Optional<SaslUser> user = saslUser == null ? Optional.empty()
                : Optional.of(new SaslUser(saslUser, password(System.getenv(PASSWORD_ENV))));
        Shutdown shutdown = new Shutdown();
        try (EmbeddedBroker broker = user.isPresent() ? EmbeddedBroker.startSecured(dataDir, port, user.get())
                : EmbeddedBroker.start(dataDir, port)) {
            OspreyTopics topics = new OspreyTopics(topicPrefix, OspreyTopics.DEFAULT_IMAGE_PARTITIONS);
            TopicAdmin.ensureTopics(new KafkaSettings(broker.bootstrapServers(), topics, broker.clientProperties()));
            System.out.println("Kafka broker ready at " + broker.bootstrapServers() + " (data in " + dataDir
                    + "); topics: " + String.join(", ", topics.all().stream().map(t -> t.name()).toList())
                    + ". Ctrl-C stops it.");
            if (user.isPresent()) {
                Path config = writeClientConfig(dataDir.resolve(CLIENT_CONFIG), broker.clientProperties());
                System.out.println("SASL: clients log in as '" + saslUser + "'; give them --kafka-config " + config);
            }
            shutdown.await();
            System.out.println("stopping the broker ...");
        } finally {
            shutdown.done();
        }
        return 0;
    }

    private static String password(String fromEnv) {
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** Writes the client settings readable by the owner only: they hold the password. */
    static Path writeClientConfig(Path file, Map<String, String> properties) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        StringBuilder text = new StringBuilder("# written by 'osprey broker --sasl-user'; use with --kafka-config\n");
        new TreeMap<>(properties).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(file, text);
        return file.toAbsolutePath();
    }
}
