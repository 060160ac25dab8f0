package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.topic.OspreyTopics;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the process-kill tests share: classifiers started as their own JVMs from the packaged
 * {@code osprey} jar (their output in {@code target/<name>.log}), a paced image producer, and a
 * read_committed count of every id on {@code predictions} and {@code images-dlq}.
 */
final class ClassifierProcesses implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierProcesses.class);
    static final Path JAR = Path.of("target", "osprey.jar");

    private final KafkaSettings settings;
    /** Every process started, so a failing test leaves none behind. */
    private final List<Process> started = new ArrayList<>();
    private final String topicPrefix;

    ClassifierProcesses(KafkaSettings settings) {
        this.settings = settings;
        this.topicPrefix = settings.topicPrefix();
    }

    static String id(int i) {
        return String.format("img-%05d", i);
    }

    static Path log(String name) {
        return Path.of("target", name + ".log");
    }

    /**
     * Starts {@code osprey classifier} with {@code extraArgs} and waits until it says it runs;
     * its output goes to {@link #log(String)}.
     */
    Process start(String name, Path stateDir, String... extraArgs) throws IOException, InterruptedException {
        assertThat(JAR).as("the packaged osprey jar (failsafe runs after package)").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Dai.djl.offline=true", "-Xmx1g", "-jar", JAR.toString(), "classifier",
                "--bootstrap-servers", settings.bootstrapServers(), "--topic-prefix", topicPrefix,
                "--state-dir", stateDir.toString(), "--model-wait", "120"));
        if (!List.of(extraArgs).contains("--metrics-port")) {
            command.addAll(List.of("--metrics-port", "-1"));
        }
        command.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        synchronized (started) {
            started.add(p);
        }
        Path log = log(name);
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
        }, name + "-output");
        pump.setDaemon(true);
        pump.start();
        assertThat(running.await(90, TimeUnit.SECONDS)).as("classifier %s started (see %s)", name, log).isTrue();
        return p;
    }

    /** Kills {@code p} as {@code kill -9} does and waits for it to be gone. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Streams {@code count} images at about {@code rate}/s; every 997th is not an image, so it
     * must become a dead letter.
     */
    void produce(int count, int rate) {
        produceUntil(count, rate, new AtomicBoolean());
    }

    /**
     * As {@link #produce}, stopping early once {@code stop} is set; returns how many images
     * (ids {@code 0..n-1}) were sent.
     */
    int produceUntil(int max, int rate, AtomicBoolean stop) {
        return produceRange(0, max, rate, stop);
    }

    /** Sends images {@code first .. first+count-1} at about {@code rate}/s and waits for every ack. */
    void produceRange(int first, int count, int rate) {
        produceRange(first, count, rate, new AtomicBoolean());
    }

    private int produceRange(int first, int max, int rate, AtomicBoolean stop) {
        int sent = 0;
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            Random r = new Random(7);
            for (int i = 0; i < max && !stop.get(); i++, sent++) {
                byte[] value;
                RecordHeaders headers = new RecordHeaders();
                int n = first + i;
                if (n % 997 == 0) {
                    value = ("junk " + n).getBytes(StandardCharsets.UTF_8);
                } else {
                    value = new byte[784];
                    r.nextBytes(value);
                    headers.add(ImageHeaders.LABEL, Integer.toString(n % 10).getBytes(StandardCharsets.UTF_8));
                }
                p.send(new ProducerRecord<>(settings.topics().images(), null, id(n), value, headers));
                long ahead = start + (long) (i * 1e9 / rate) - System.nanoTime();
                if (ahead > 0) {
                    TimeUnit.NANOSECONDS.sleep(ahead);
                }
            }
            p.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return sent;
    }

    /** Sum of the end offsets of the output topics (transaction markers included: it only has to grow). */
    long outputEnd() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(settings.readerProperties(),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : List.of(settings.topics().predictions(), settings.topics().deadLetters())) {
                c.partitionsFor(topic, Duration.ofSeconds(10))
                        .forEach(info -> parts.add(new TopicPartition(topic, info.partition())));
            }
            return c.endOffsets(parts, Duration.ofSeconds(10)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Reads predictions and dead letters (read_committed) until {@code expected} distinct ids are seen. */
    Map<String, Integer> readOutputsUntil(int expected, Duration limit) {
        Properties props = settings.consumerProperties("process-it-check-" + UUID.randomUUID());
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

    /**
     * Reads predictions and dead letters (read_committed) until {@code expected} records are seen,
     * then a few seconds more so that a duplicate would show.
     */
    List<ConsumerRecord<String, byte[]>> readRecordsUntil(int expected, Duration limit) {
        Properties props = settings.consumerProperties("process-it-records-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        OspreyTopics t = settings.topics();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(t.predictions(), t.deadLetters()));
            long deadline = System.nanoTime() + limit.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                c.poll(Duration.ofMillis(500)).forEach(out::add);
                if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                }
            }
        }
        LOG.info("read {} output records", out.size());
        return out;
    }

    /** Asserts that ids {@code 0..count-1} were each answered exactly once. */
    static void assertExactlyOnce(Map<String, Integer> seen, int count) {
        List<String> duplicated = seen.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey).toList();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (!seen.containsKey(id(i))) {
                missing.add(id(i));
            }
        }
        assertThat(duplicated).as("ids answered more than once").isEmpty();
        assertThat(missing).as("ids never answered").isEmpty();
        assertThat(seen).hasSize(count);
    }

    /** Kills every classifier this started that still runs. */
    @Override
    public void close() throws InterruptedException {
        synchronized (started) {
            for (Process p : started) {
                if (p.isAlive()) {
                    kill(p);
                }
            }
            started.clear();
        }
    }
}
