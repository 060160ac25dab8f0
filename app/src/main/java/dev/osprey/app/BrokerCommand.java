package dev.osprey.app;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Path;
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

    @Override
    public Integer call() throws Exception {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [1, 65535]: " + port);
        }
        Shutdown shutdown = new Shutdown();
        try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, port)) {
            OspreyTopics topics = new OspreyTopics(topicPrefix, OspreyTopics.DEFAULT_IMAGE_PARTITIONS);
            TopicAdmin.ensureTopics(broker.bootstrapServers(), topics);
            System.out.println("Kafka broker ready at " + broker.bootstrapServers() + " (data in " + dataDir
                    + "); topics: " + String.join(", ", topics.all().stream().map(t -> t.name()).toList())
                    + ". Ctrl-C stops it.");
            shutdown.await();
            System.out.println("stopping the broker ...");
        } finally {
            shutdown.done();
        }
        return 0;
    }
}
