package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import picocli.CommandLine.Option;

/** The options every service command takes to find its cluster. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (env OSPREY_BOOTSTRAP_SERVERS, default localhost:9092).")
    String bootstrapServers;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX",
            description = "Prefix of every Osprey topic name (env OSPREY_TOPIC_PREFIX, default none).")
    String topicPrefix;

    KafkaSettings settings() {
        KafkaSettings s = KafkaSettings.fromEnv(bootstrapServers, System.getenv());
        return topicPrefix == null ? s : s.withTopicPrefix(topicPrefix);
    }
}
