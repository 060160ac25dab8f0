package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.awaitility.core.ConditionTimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
    private static final Path JAR = Path.of("target", "osprey.jar");

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;
    private static KafkaSettings settings;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.start(dir.resolve("kafka"), 0);
        settings = KafkaSettings.of(broker.bootstrapServers(), "kill-");
        TopicAdmin.ensureTopics(broker.bootstrapServers(), settings.topics());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(settings.topics().models(), "digits",
                    TestModels.untrained(Architecture.MLP, "digits", 1).toBytes())).get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void everyImageIsAnsweredExactlyOnceThroughRepeatedKills() throws Exception {
        assertThat(JAR).as("the packaged osprey jar (failsafe runs after package)").exists();
        Random random = new Random(20261127L);
        // ~70 s of input: images must still be flowing during every kill cycle, also on a fast machine.
        Thread producer = new Thread(() -> produce(IMAGES, 300), "image-producer");
        producer.start();

        Path stateDir = dir.resolve("state");
        for (int kill = 1; kill <= KILLS; kill++) {
            long before = outputEnd();
            Process p = startClassifier(stateDir, kill);
            // Kill once this run is classifying: a process killed while it starts proves less. A run that
            // makes no progress within a minute is killed anyway (logged): the exactly-once assertions
            // below are what this test is about, and the last run must still finish the job.
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> outputEnd() > before + 200);
            } catch (ConditionTimeoutException e) {
                LOG.warn("run {} made no progress within 60 s; killing it anyway", kill);
            }
            long wait = 200 + random.nextInt(2500);
            Thread.sleep(wait); // a random moment to kill at is the point of this test
            LOG.info("kill -9 #{} after {} ms of classifying", kill, wait);
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        producer.join();
        Process last = startClassifier(stateDir, KILLS + 1);
        try {
            Map<String, Integer> seen = readOutputsUntil(IMAGES, Duration.ofMinutes(4));
            List<String> duplicated = seen.entrySet().stream().filter(e -> e.getValue() > 1)
                    .map(Map.Entry::getKey).toList();
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < IMAGES; i++) {
                if (!seen.containsKey(id(i))) {
                    missing.add(id(i));
                }
            }
            assertThat(duplicated).as("ids answered more than once").isEmpty();
            assertThat(missing).as("ids never answered").isEmpty();
            assertThat(seen).hasSize(IMAGES);
            assertThat(recoveries()).as("restarts that re-read unflushed images (the path under test)")
                    .isGreaterThanOrEqualTo(1);
        } finally {
            last.destroy();
            last.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Sum of the end offsets of the output topics (transaction markers included: it only has to grow). */
    private static long outputEnd() {
        Properties props = settings.consumerProperties("unused");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : List.of(settings.topics().predictions(), settings.topics().deadLetters())) {
                c.partitionsFor(topic, Duration.ofSeconds(10))
                        .forEach(info -> parts.add(new TopicPartition(topic, info.partition())));
            }
            return c.endOffsets(parts, Duration.ofSeconds(10)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static long recoveries() throws IOException {
        long n = 0;
        for (int run = 1; run <= KILLS + 1; run++) {
            try (var lines = Files.lines(log(run))) {
                n += lines.filter(l -> l.contains("recovered") && !l.contains("recovered 0 ")).count();
            }
        }
        LOG.info("{} task recoveries re-read unflushed images", n);
        return n;
    }

    private static Path log(int run) {
        return Path.of("target", "kill-it-classifier-" + run + ".log");
    }

    private static String id(int i) {
        return String.format("img-%05d", i);
    }

    /** Streams images at about {@code rate}/s; every 997th is not an image, so it must become a dead letter. */
    private static void produce(int count, int rate) {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            Random r = new Random(7);
            for (int i = 0; i < count; i++) {
                byte[] value;
                RecordHeaders headers = new RecordHeaders();
                if (i % 997 == 0) {
                    value = ("junk " + i).getBytes(StandardCharsets.UTF_8);
                } else {
                    value = new byte[784];
                    r.nextBytes(value);
                    headers.add(ImageHeaders.LABEL, Integer.toString(i % 10).getBytes(StandardCharsets.UTF_8));
                }
                p.send(new ProducerRecord<>(settings.topics().images(), null, id(i), value, headers));
                long due = start + (long) (i * 1e9 / rate);
                long ahead = due - System.nanoTime();
                if (ahead > 0) {
                    TimeUnit.NANOSECONDS.sleep(ahead);
                }
            }
            p.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Process startClassifier(Path stateDir, int run) throws IOException, InterruptedException {
        Path log = log(run);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Xmx1g", "-jar", JAR.toString(), "classifier",
                "--bootstrap-servers", broker.bootstrapServers(), "--topic-prefix", "kill-",
                "--state-dir", stateDir.toString(), "--instance-id", "kill-it", "--metrics-port", "-1",
                "--model-wait", "120")
                .redirectErrorStream(true)
                .start();
        CountDownLatch running = new CountDownLatch(1);
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log)) {
                for (String line; (line = in.readLine()) != null; ) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.contains("classifier running")) {
                        running.countDown();
                    }
                }
            } catch (IOException e) {
                // the process was killed: its output ends here
            }
        }, "classifier-output-" + run);
        pump.setDaemon(true);
        pump.start();
        assertThat(running.await(90, TimeUnit.SECONDS)).as("classifier run %d started (see %s)", run, log).isTrue();
        return p;
    }

    /** Reads predictions and dead letters (read_committed) until {@code expected} distinct ids are seen. */
    private static Map<String, Integer> readOutputsUntil(int expected, Duration limit) {
        Properties props = settings.consumerProperties("kill-it-check-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Integer> seen = new HashMap<>();
        AtomicInteger records = new AtomicInteger();
        OspreyTopics t = settings.topics();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(t.predictions(), t.deadLetters()));
            long deadline = System.nanoTime() + limit.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    seen.merge(r.key(), 1, Integer::sum);
                    records.incrementAndGet();
                }
                if (seen.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    // keep reading a little longer: a duplicate would arrive after the last new id
                    quietUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                }
            }
        }
        LOG.info("read {} output records for {} distinct ids", records.get(), seen.size());
        return seen;
    }
}
