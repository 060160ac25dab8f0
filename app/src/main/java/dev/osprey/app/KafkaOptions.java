package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options every command that talks to Kafka takes: where the cluster is, and how to connect. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (env OSPREY_BOOTSTRAP_SERVERS, default localhost:9092).")
    String bootstrapServers;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX",
            description = "Prefix of every Osprey topic name (env OSPREY_TOPIC_PREFIX, default none).")
    String topicPrefix;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties for every client (SASL, TLS, timeouts), in the format of "
                    + "Kafka's client.properties (env OSPREY_KAFKA_CONFIG). OSPREY_KAFKA_<NAME> variables "
                    + "(OSPREY_KAFKA_SECURITY_PROTOCOL is security.protocol) override it.")
    Path kafkaConfig;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "One Kafka client property (repeatable); overrides the file and the environment.")
    List<String> kafkaProperties = new ArrayList<>();

    /**
     * The settings from the flags, the file and the environment. Where none of them names the
     * servers, a running {@code osprey demo}'s broker is used (and the command says so), else
     * {@value KafkaSettings#DEFAULT_BOOTSTRAP_SERVERS}.
     */
    KafkaSettings settings() {
        Map<String, String> env = System.getenv();
        Optional<String> demo = DemoBrokerFile.of(env).read();
        KafkaSettings s = KafkaSettings.fromSources(bootstrapServers, kafkaConfig, kafkaProperties, env,
                demo.orElse(KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS));
        if (demo.isPresent() && demo.get().equals(s.bootstrapServers()) && bootstrapServers == null) {
            System.err.println("using the Kafka broker of 'osprey demo' at " + s.bootstrapServers()
                    + " (give --bootstrap-servers for another)");
        }
        return topicPrefix == null ? s : s.withTopicPrefix(topicPrefix);
    }
}
