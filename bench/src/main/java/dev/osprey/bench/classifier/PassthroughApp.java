package dev.osprey.bench.classifier;

import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The limit the classifier is compared with: a Kafka Streams app of the classifier's shape
 * ({@code images} source with the same serdes → one processor → {@code predictions} sink) that
 * forwards every record unchanged, run with exactly the classifier's Streams, producer and consumer
 * settings ({@link ClassifierApp#streamsConfig}). No model, no state store, no batching.
 */
public final class PassthroughApp implements SystemUnderTest {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final KafkaStreams streams;

    private PassthroughApp(ClassifierConfig config) {
        Properties props = ClassifierApp.streamsConfig(config, config.stateDir().orElseThrow(),
                new ClassifierMetrics(registry));
        this.streams = new KafkaStreams(topology(config.topics()), props);
    }

    /** Starts the app under {@code config}'s application id, guarantee and state directory. */
    static PassthroughApp start(ClassifierConfig config) {
        PassthroughApp app = new PassthroughApp(config.withApplicationId(config.topics().prefix() + "passthrough"));
        try {
            app.streams.start();
            return app;
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
    }

    /**
     * Runs the passthrough in a JVM of its own, as the process bench measures it:
     * {@code PassthroughApp <bootstrap> <topic-prefix> <state-dir>}; prints {@code ready} once started
     * and stops when its standard input closes (the bench ended or died).
     */
    public static void main(String[] args) throws Exception {
        BenchLogging.configure();
        OspreyTopics topics = KafkaSettings.of(args[0], args[1]).topics();
        ClassifierConfig config = ClassifierConfig.defaults(args[0], topics).withStateDir(Path.of(args[2]));
        try (PassthroughApp app = start(config)) {
            System.out.println("ready");
            System.out.flush();
            try {
                while (System.in.read() >= 0) {
                    // the bench never writes; only the end of the stream matters
                }
            } catch (IOException e) {
                // the pipe broke: the bench is gone
            }
        }
        System.exit(0);
    }

    static Topology topology(OspreyTopics topics) {
        Topology t = new Topology();
        t.addSource("images-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.images());
        t.addProcessor("forward", Forwarder::new, "images-source");
        t.addSink("predictions-sink", topics.predictions(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), "forward");
        return t;
    }

    /** Forwards each record as it came: key, value, timestamp (the ingest time) and headers. */
    private static final class Forwarder implements Processor<String, byte[], String, byte[]> {

        private ProcessorContext<String, byte[]> context;

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, byte[]> record) {
            context.forward(record);
        }
    }

    @Override
    public BatchCounters batches() {
        return BatchCounters.NONE;
    }

    @Override
    public void close() {
        streams.close(CLOSE_TIMEOUT);
        streams.cleanUp();
        registry.close();
    }
}
