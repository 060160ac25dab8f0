package dev.osprey.bench.classifier;

import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The classifier {@link SoakBench} measures, in a JVM of its own so that its RSS is the
 * classifier's alone: {@code SoakClassifier <bootstrap> <topic-prefix> <state-dir>}. It prints
 * {@code ready} once it serves, then a {@code memory heap=<bytes> direct=<bytes>} line every
 * second, and stops when its standard input closes (the bench ended or died).
 */
public final class SoakClassifier {

    private SoakClassifier() {
    }

    /** Runs the classifier until standard input closes. */
    public static void main(String[] args) throws Exception {
        BenchLogging.configure();
        OspreyTopics topics = KafkaSettings.of(args[0], args[1]).topics();
        ClassifierConfig config = ClassifierConfig.defaults(args[0], topics).withStateDir(Path.of(args[2]));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ClassifierApp app = new ClassifierApp(config, registry)) {
            app.start(Duration.ofMinutes(2));
            System.out.println("ready");
            System.out.flush();
            Thread reporter = new Thread(() -> report(app), "soak-memory-report");
            reporter.setDaemon(true);
            reporter.start();
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

    private static void report(ClassifierApp app) {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElse(null);
        while (true) {
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long directUsed = direct == null ? -1 : direct.getMemoryUsed();
            System.out.println(String.format(Locale.ROOT, "memory heap=%d direct=%d failed=%s", heap, directUsed,
                    app.failure().isPresent()));
            System.out.flush();
            try {
                Thread.sleep(1000); // a report cadence, not a wait for a condition
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
