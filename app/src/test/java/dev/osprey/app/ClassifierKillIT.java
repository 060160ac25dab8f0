package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier's exactly-once promise under {@code kill -9}: the classifier runs as its own
 * process (the real {@code osprey} jar), 20,000 images stream in, the process is killed at random
 * moments six times and restarted; afterwards every image id is on {@code predictions} or
 * {@code images-dlq} exactly once, read with read_committed.
 */
class ClassifierKillIT {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierKillIT.class);
    private static final int IMAGES = 20_000;
    private static final int KILLS = 6;

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;
    private static ClassifierProcesses processes;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
        KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "kill-");
        TopicAdmin.ensureTopics(settings);
        publishModel(settings);
        processes = new ClassifierProcesses(settings);
    }

    /** An untrained MLP: this test is about delivery, not accuracy. */
    static void publishModel(KafkaSettings settings) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(settings.topics().models(), "digits",
                    TestModels.untrained(Architecture.MLP, "digits", 1).toBytes())).get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stopBroker() throws InterruptedException {
        if (processes != null) {
            processes.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void everyImageIsAnsweredExactlyOnceThroughRepeatedKills() throws Exception {
        Random random = new Random(20261127L);
        // ~70 s of input: images must still be flowing during every kill cycle, also on a fast machine.
        Thread producer = new Thread(() -> processes.produce(IMAGES, 300), "image-producer");
        producer.start();

        Path stateDir = dir.resolve("state");
        for (int kill = 1; kill <= KILLS; kill++) {
            long before = processes.outputEnd();
            Process p = start(stateDir, kill);
            // Kill once this run is classifying: a process killed while it starts proves less. A run that
            // makes no progress within a minute is killed anyway (logged): the exactly-once assertions
            // below are what this test is about, and the last run must still finish the job.
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> processes.outputEnd() > before + 200);
            } catch (ConditionTimeoutException e) {
                LOG.warn("run {} made no progress within 60 s; killing it anyway", kill);
            }
            long wait = 200 + random.nextInt(2500);
            Thread.sleep(wait); // a random moment to kill at is the point of this test
            LOG.info("kill -9 #{} after {} ms of classifying", kill, wait);
            ClassifierProcesses.kill(p);
        }
        producer.join();
        Process last = start(stateDir, KILLS + 1);
        try {
            Map<String, Integer> seen = processes.readOutputsUntil(IMAGES, Duration.ofMinutes(4));
            ClassifierProcesses.assertExactlyOnce(seen, IMAGES);
            assertThat(recoveries()).as("restarts that re-read unflushed images (the path under test)")
                    .isGreaterThanOrEqualTo(1);
        } finally {
            last.destroy();
            last.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Process start(Path stateDir, int run) throws IOException, InterruptedException {
        // Batches wait up to a second for images, so nearly every commit leaves images taken but not
        // yet classified: a kill then always has something for the restarted task to recover.
        return processes.start(name(run), stateDir, "--instance-id", "kill-it", "--max-delay", "1000");
    }

    private static String name(int run) {
        return "kill-it-classifier-" + run;
    }

    private static long recoveries() throws IOException {
        long n = 0;
        for (int run = 1; run <= KILLS + 1; run++) {
            try (var lines = Files.lines(ClassifierProcesses.log(name(run)))) {
                n += lines.filter(l -> l.contains("recovered") && !l.contains("recovered 0 ")).count();
            }
        }
        LOG.info("{} task recoveries re-read unflushed images", n);
        return n;
    }
}
