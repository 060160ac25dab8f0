package dev.osprey.ingest;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicReader;
import dev.osprey.core.topic.TopicSpec;
import dev.osprey.ingest.source.ImageSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One ingest run: reads the source, makes sure the topics exist, publishes the images (and the
 * feedback copies) and reports what it did.
 *
 * <p>The source is read completely before Kafka is contacted, so a missing or malformed source
 * publishes nothing. Command-line parsing is the caller's; this class takes validated options.
 */
public final class IngestService {

    /** Bound on reaching Kafka at start and on closing the producer. */
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaSettings settings;
    private final IngestOptions options;
    private final MeterRegistry registry;
    private final ProgressDisplay display;
    private final InputStream stdin;
    private volatile ImagePublisher publisher;
    private volatile boolean stopped;

    /** A run that shows progress on stderr: a bar on a terminal, else one summary line. */
    public IngestService(KafkaSettings settings, IngestOptions options, MeterRegistry registry) {
        this(settings, options, registry, ProgressDisplay.forTerminal(System.err));
    }

    public IngestService(KafkaSettings settings, IngestOptions options, MeterRegistry registry,
                         ProgressDisplay display) {
        this(settings, options, registry, display, System.in);
    }

    IngestService(KafkaSettings settings, IngestOptions options, MeterRegistry registry, ProgressDisplay display,
                  InputStream stdin) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.options = Objects.requireNonNull(options, "options");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.display = Objects.requireNonNull(display, "display");
        this.stdin = Objects.requireNonNull(stdin, "stdin");
    }

    /**
     * Runs to the end of the source (or the count), or until {@link #stop()} or an interrupt.
     *
     * @throws IngestException for a missing or unreadable source (nothing published), or when Kafka
     *                         cannot be reached or refuses the producer
     */
    public IngestSummary run() throws IngestException {
        ImageSource source = SourceOpener.open(options, stdin);
        ensureTopics();
        Properties props = settings.producerProperties("osprey-ingest", KAFKA_TIMEOUT);
        try (KafkaProducer<String, byte[]> producer =
                     new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            ImagePublisher p = new ImagePublisher(producer, settings.topics(), options, registry, display,
                    labelRequests());
            publisher = p;
            if (stopped) {
                p.stop();
            }
            try {
                return p.publish(source);
            } finally {
                producer.close(KAFKA_TIMEOUT);
            }
        } catch (KafkaException e) {
            throw new IngestException("publishing to Kafka at " + settings.bootstrapServers() + " failed: "
                    + e.getMessage(), e);
        }
    }

    /**
     * For the uncertain feedback strategy, a group-less reader of {@code label-requests} positioned
     * at its end, so only requests about this run's images are read; else null.
     */
    private TopicReader labelRequests() {
        if (options.feedbackStrategy() != FeedbackStrategy.UNCERTAIN) {
            return null;
        }
        TopicReader reader = new TopicReader(settings.readerProperties("osprey-ingest-labeller"));
        try {
            reader.assignAll(settings.topics().labelRequests(), KAFKA_TIMEOUT);
            reader.seekToEnd(KAFKA_TIMEOUT);
            return reader;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /** Stops a run in progress after its current image (or before it starts). Any thread. */
    public void stop() {
        stopped = true;
        ImagePublisher p = publisher;
        if (p != null) {
            p.stop();
        }
    }

    private void ensureTopics() throws IngestException {
        OspreyTopics topics = settings.topics();
        List<TopicSpec> needed = topics.all().stream()
                .filter(t -> t.name().equals(topics.images())
                        || (options.feedbackShare() > 0 && t.name().equals(topics.feedback()))
                        || (options.feedbackStrategy() == FeedbackStrategy.UNCERTAIN
                            && t.name().equals(topics.labelRequests())))
                .toList();
        try (Admin admin = Admin.create(settings.adminProperties(KAFKA_TIMEOUT))) {
            TopicAdmin.ensureTopics(admin, needed, KAFKA_TIMEOUT);
        } catch (KafkaException e) {
            throw new IngestException("cannot prepare topics on Kafka at " + settings.bootstrapServers() + ": "
                    + e.getMessage(), e);
        }
    }
}
