package dev.osprey.bench.classifier;

import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real classifier, started the way {@code osprey classifier} starts it: {@link ClassifierApp}
 * follows the scenario's {@code models} topic, loads the published model, then runs the topology.
 */
final class ClassifierUnderTest implements SystemUnderTest {

    private static final Duration MODEL_WAIT = Duration.ofMinutes(2);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClassifierApp app;

    private ClassifierUnderTest(ClassifierConfig config) {
        this.app = new ClassifierApp(config, registry);
    }

    /** Starts the classifier; returns once the model serves and the stream has been started. */
    static ClassifierUnderTest start(ClassifierConfig config) throws InterruptedException {
        ClassifierUnderTest c = new ClassifierUnderTest(config);
        try {
            c.app.start(MODEL_WAIT);
            return c;
        } catch (RuntimeException | InterruptedException e) {
            c.close();
            throw e;
        }
    }

    /**
     * The classifier config of a scenario: Osprey's defaults (pipelined inference included) with the
     * scenario's batch, guarantee and stream threads.
     * Intra-op threads are left to {@link TorchThreads} (0 here: the app does not touch PyTorch's
     * count), so a scenario gets the count it names whatever the classifier's default is.
     */
    static ClassifierConfig config(String bootstrap, OspreyTopics topics, Scenario s, Path stateDir) {
        ClassifierConfig d = ClassifierConfig.defaults(bootstrap, topics);
        return new ClassifierConfig(d.kafka(), d.applicationId(), s.batch(), s.guarantee(),
                d.parallelism().withStreamThreads(s.threads()).withIntraOpThreads(0), d.commitInterval(), d.modelName(), Optional.of(stateDir), d.instanceId());
    }

    @Override
    public BatchCounters batches() {
        DistributionSummary size = registry.find("osprey.classifier.batch.size").summary();
        Timer inference = registry.find("osprey.classifier.batch.inference").timer();
        if (size == null || inference == null) {
            return BatchCounters.NONE;
        }
        return new BatchCounters(size.count(), size.totalAmount(), inference.totalTime(TimeUnit.NANOSECONDS));
    }

    @Override
    public void close() {
        app.close();
        registry.close();
    }
}
