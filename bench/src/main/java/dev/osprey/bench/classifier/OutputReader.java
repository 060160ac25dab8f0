package dev.osprey.bench.classifier;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.bench.classifier.SystemUnderTest.BatchCounters;
import dev.osprey.core.topic.OspreyTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Properties;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a scenario's {@code predictions} and {@code images-dlq} as any downstream user would: with
 * {@code read_committed}, so an output counts only once its transaction is visible. It checks that
 * every image id comes back exactly once and measures either throughput or end-to-end latency.
 *
 * <p>Not thread-safe: one thread uses it at a time.
 */
public final class OutputReader implements AutoCloseable {

    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(100);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String predictionsTopic;
    private final byte[] idPrefix;
    private final BitSet seen = new BitSet();
    private long predictions;
    private long deadLetters;
    private long duplicates;
    private long foreign;

    public OutputReader(String bootstrap, OspreyTopics topics, String idPrefix) {
        // A group-less read_committed reader, as every Osprey reader is, tuned for throughput.
        Properties p = new KafkaSettings(bootstrap, topics).readerProperties("bench-reader-" + topics.prefix());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        // The broker answers a waiting fetch when new data becomes readable; this only bounds the
        // wait if it did not, so the latency measured is never the consumer's own idle wait.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.predictionsTopic = topics.predictions();
        this.idPrefix = idPrefix.getBytes(StandardCharsets.UTF_8);
        List<TopicPartition> parts = new ArrayList<>();
        for (String topic : List.of(topics.predictions(), topics.deadLetters())) {
            consumer.partitionsFor(topic, METADATA_TIMEOUT)
                    .forEach(info -> parts.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /**
     * What a throughput run saw.
     *
     * @param appendRate  outputs per second between the first and the last prediction's broker append
     *                    time (the predictions topic uses {@code LogAppendTime} in throughput runs)
     * @param receiveRate outputs per second as the read_committed reader received them
     * @param capped      the run hit its time cap before every image came back
     * @param cpu         CPU by kind of thread, from the first output received to the last
     * @param batches     the classifier's batches in the same window
     * @param windowSeconds the length of that window
     */
    record Throughput(long predictions, long deadLetters, long duplicates, double appendRate, double receiveRate,
                      boolean capped, CpuSampler.Breakdown cpu, BatchCounters batches, double windowSeconds) {
    }

    /**
     * What a latency run saw: latencies (ms) from the ingest timestamp to the read_committed receipt.
     *
     * @param measured outputs whose image was sent in the measured window
     * @param missing  images sent (in any window) that never came back before the drain deadline
     * @param slowSeconds seconds of the measured window (by ingest time) whose worst latency passed
     *                 {@value #SLOW_MS} ms: whether the tail comes from a few stalls or from everywhere
     * @param worstSeconds the three worst seconds as {@code +offset s: max ms}, offset from the window's start
     */
    public record Latency(int measured, long missing, long duplicates, int p50, int p99, int max, double mean,
                   int slowSeconds, String worstSeconds) {
    }

    static final int SLOW_MS = 200;

    /**
     * Reads until all {@code expected} ids came back or {@code cap} ran out, and measures the rate.
     */
    Throughput measureThroughput(int expected, Duration cap, SystemUnderTest app, CpuSampler sampler) {
        long deadline = System.nanoTime() + cap.toNanos();
        long minAppend = Long.MAX_VALUE;
        long maxAppend = Long.MIN_VALUE;
        long firstNanos = 0;
        long lastNanos = 0;
        long countAtFirst = 0;
        CpuSampler.Snapshot cpuStart = null;
        BatchCounters batchStart = BatchCounters.NONE;
        while (received() < expected && System.nanoTime() < deadline) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
            if (records.isEmpty()) {
                continue;
            }
            long now = System.nanoTime();
            if (cpuStart == null) {
                cpuStart = sampler.take();
                batchStart = app.batches();
                firstNanos = now;
            }
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (count(r) && r.topic().equals(predictionsTopic)) {
                    minAppend = Math.min(minAppend, r.timestamp());
                    maxAppend = Math.max(maxAppend, r.timestamp());
                }
            }
            if (firstNanos == now) {
                countAtFirst = received();
            }
            lastNanos = now;
        }
        CpuSampler.Snapshot cpuEnd = sampler.take();
        BatchCounters batches = app.batches().minus(batchStart);
        double appendSeconds = (maxAppend - minAppend) / 1e3;
        double appendRate = predictions > 1 && appendSeconds > 0 ? (predictions - 1) / appendSeconds : Double.NaN;
        double receiveSeconds = (lastNanos - firstNanos) / 1e9;
        double receiveRate = receiveSeconds > 0 ? (received() - countAtFirst) / receiveSeconds : Double.NaN;
        return new Throughput(predictions, deadLetters, duplicates, appendRate, receiveRate, received() < expected,
                cpuStart == null ? CpuSampler.Breakdown.NONE : CpuSampler.between(cpuStart, cpuEnd), batches,
                cpuStart == null ? Double.NaN : (cpuEnd.wallNanos() - cpuStart.wallNanos()) / 1e9);
    }

    /**
     * Reads while a paced producer runs, recording the latency of every output whose image was sent
     * at or after {@code measureFromMs}. Stops once {@code target} ids came back (the target is set
     * when the producer ends) or at {@code deadlineNanos}.
     */
    public Latency measureLatency(long measureFromMs, LongSupplier target, long deadlineNanos) {
        int[] latencies = new int[1 << 16];
        int[] worstPerSecond = new int[3600];
        int n = 0;
        while (received() < target.getAsLong() && System.nanoTime() < deadlineNanos) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
            long receivedMs = System.currentTimeMillis();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (count(r) && r.topic().equals(predictionsTopic) && r.timestamp() >= measureFromMs) {
                    if (n == latencies.length) {
                        latencies = Arrays.copyOf(latencies, n * 2);
                    }
                    int ms = (int) Math.max(0, receivedMs - r.timestamp());
                    latencies[n++] = ms;
                    int second = (int) Math.min(worstPerSecond.length - 1, (r.timestamp() - measureFromMs) / 1000);
                    worstPerSecond[second] = Math.max(worstPerSecond[second], ms);
                }
            }
        }
        long sent = target.getAsLong();
        long missing = sent == Long.MAX_VALUE ? -1 : Math.max(0, sent - received());
        if (n == 0) {
            return new Latency(0, missing, duplicates, -1, -1, -1, Double.NaN, 0, "");
        }
        int slow = 0;
        List<Integer> seconds = new ArrayList<>();
        for (int i = 0; i < worstPerSecond.length; i++) {
            if (worstPerSecond[i] > SLOW_MS) {
                slow++;
            }
            if (worstPerSecond[i] > 0) {
                seconds.add(i);
            }
        }
        seconds.sort((x, y) -> Integer.compare(worstPerSecond[y], worstPerSecond[x]));
        String worst = String.join(", ", seconds.stream().limit(3)
                .map(i -> "+" + i + " s: " + worstPerSecond[i] + " ms").toList());
        int[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        double sum = 0;
        for (int v : sorted) {
            sum += v;
        }
        return new Latency(n, missing, duplicates, percentile(sorted, 0.50), percentile(sorted, 0.99),
                sorted[n - 1], sum / n, slow, worst);
    }

    /** Distinct ids seen so far, answered by a prediction or a dead letter. */
    public long received() {
        return predictions + deadLetters;
    }

    /** Ids that came back more than once; must be 0 under exactly-once. */
    public long duplicates() {
        return duplicates;
    }

    /** Records whose key is not one of this run's ids (must be 0). */
    public long foreign() {
        return foreign;
    }

    /** Marks the record's id; returns false for a duplicate or a foreign key. */
    private boolean count(ConsumerRecord<byte[], byte[]> r) {
        int id = parseId(r.key());
        if (id < 0) {
            foreign++;
            return false;
        }
        if (seen.get(id)) {
            duplicates++;
            return false;
        }
        seen.set(id);
        if (r.topic().equals(predictionsTopic)) {
            predictions++;
        } else {
            deadLetters++;
        }
        return true;
    }

    /** The image index after the id prefix, without building a String per record. */
    private int parseId(byte[] key) {
        if (key == null || key.length <= idPrefix.length || key.length > idPrefix.length + 9) {
            return -1;
        }
        for (int i = 0; i < idPrefix.length; i++) {
            if (key[i] != idPrefix[i]) {
                return -1;
            }
        }
        int v = 0;
        for (int i = idPrefix.length; i < key.length; i++) {
            int d = key[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** Nearest-rank percentile of sorted values. */
    static int percentile(int[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /**
     * One poll of at most {@code timeout}: counts what it returns and says how many new ids came back,
     * for a caller that times the outputs itself (a system under test in another process).
     */
    public int pollOnce(Duration timeout) {
        long before = received();
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
            count(r);
        }
        return (int) (received() - before);
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
