package dev.osprey.bench.trainer;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetException;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.trainer.feedback.ExampleRecorder;
import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.FeedbackListener;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.feedback.ImageEnvelope;
import dev.osprey.trainer.feedback.LabelledExample;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How much memory the trainer's feedback takes: labelled Fashion-MNIST images (the train split,
 * cycled, each under a new id) arrive as raw {@code feedback} records with a {@code label} header,
 * are decoded as the trainer's parser and decoder decode them ({@link ImageEnvelope#decode}), and
 * go through the real {@link ExampleRecorder} into its RocksDB store and a {@link FeedbackStore}
 * of each capacity asked for. In-process, without a broker or {@code TopologyTestDriver} (which
 * commits and checkpoints after every record, 5,000 records/s here, and keeps every changelog
 * record it captures on the heap). After 0, 200,000 and 1,000,000 records it prints the heap used
 * after a full GC and the process's RSS ({@code VmRSS} of {@code /proc/self/status}); a markdown
 * table on stdout.
 *
 * <p>usage: {@code FeedbackMemoryBench [capacity ...]} (default:
 * {@value FeedbackStore#DEFAULT_CAPACITY} and 1,000,000). Each capacity runs on its own stores, one
 * after the other, in one JVM; {@code bench/run-feedback-memory.sh} runs one capacity per JVM, so
 * that RSS figures do not carry the previous run's heap.
 */
public final class FeedbackMemoryBench {

    private static final Logger LOG = LoggerFactory.getLogger(FeedbackMemoryBench.class);
    private static final int[] CHECKPOINTS = {0, 200_000, 1_000_000};
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    private FeedbackMemoryBench() {
    }

    /** One row of the table. */
    private record Row(int capacity, int records, int kept, long evicted, long heapBytes, long committedBytes, long rssBytes,
                       double seconds) {
    }

    public static void main(String[] args) throws Exception {
        quietLogging();
        List<Integer> capacities = new ArrayList<>();
        for (String a : args) {
            capacities.add(Integer.parseInt(a.replace("_", "").replace(",", "")));
        }
        if (capacities.isEmpty()) {
            capacities = List.of(FeedbackStore.DEFAULT_CAPACITY, 1_000_000);
        }
        Dataset data = load();
        LOG.info("feeding {} ({} images, {}) cycled; capacities {}", data.name(), data.size(), data.inputSpec(),
                capacities);
        List<Row> rows = new ArrayList<>();
        for (int capacity : capacities) {
            rows.addAll(run(data, capacity));
        }
        System.out.println("| --max-feedback | feedback records | examples kept | evicted | heap used after GC "
                + "(MiB) | heap committed (MiB) | RSS (MiB) | seconds |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %,d | %,d | %,d | %,d | %.1f | %.1f | %.1f | %.1f |%n", r.capacity(),
                    r.records(), r.kept(), r.evicted(), r.heapBytes() / 1048576.0, r.committedBytes() / 1048576.0,
                    r.rssBytes() / 1048576.0, r.seconds());
        }
    }

    private static List<Row> run(Dataset data, int capacity) throws IOException {
        FeedbackStore store = new FeedbackStore(capacity, data.inputSpec(), data.classNames().size());
        Path stateDir = Files.createTempDirectory("osprey-feedback-bench-");
        // No broker: the address is never dialled, the mock context only needs a Streams config.
        Properties p = KafkaSettings.of("unused:9092", "").streamsProperties("feedback-memory-bench");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>(p, new TaskId(0, 0), stateDir.toFile());
        // The trainer's durable store, as TrainerTopology declares it, less the changelog (no broker here).
        KeyValueStore<String, LabelledExample> durable = Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(ExampleRecorder.STORE), Serdes.String(), LabelledExample.serde())
                .withLoggingDisabled().withCachingDisabled().build();
        durable.init(context.getStateStoreContext(), durable);
        context.addStateStore(durable);
        FeedbackListener quiet = new FeedbackListener() {
            @Override
            public void received(FeedbackKind kind) {
            }

            @Override
            public void stored(String id, LabelledExample example) {
            }
        };
        ExampleRecorder recorder = new ExampleRecorder(quiet, store);
        recorder.init(context);
        List<Row> rows = new ArrayList<>();
        try {
            Headers[] headers = headersByLabel(data);
            int n = data.imageBytes();
            int sent = 0;
            long start = System.nanoTime();
            for (int checkpoint : CHECKPOINTS) {
                for (; sent < checkpoint; sent++) {
                    int i = sent % data.size();
                    byte[] value = new byte[n];
                    System.arraycopy(data.pixels(), i * n, value, 0, n);
                    Headers h = headers[data.label(i)];
                    long ts = T0.toEpochMilli() + sent;
                    // What FeedbackParser and ExampleDecoder do with a labelled image record.
                    LabelledExample example = new LabelledExample(ImageHeaders.labelIndex(h), FeedbackKind.IMAGE, ts,
                            ImageEnvelope.of(value, h).decode());
                    recorder.process(new Record<>("fb-" + sent, example, ts, h));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long heap = heapAfterGc();
                long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
                long rss = rss();
                rows.add(new Row(capacity, sent, store.size(), store.evictions(), heap, committed, rss, seconds));
                LOG.info("capacity {}: {} records, {} kept, {} evicted, heap {} MiB, RSS {} MiB, {} s", capacity,
                        sent, store.size(), store.evictions(), heap >> 20, rss >> 20, Math.round(seconds));
            }
        } catch (ImageRejectedException e) {
            throw new IllegalStateException("a Fashion-MNIST image was refused: " + e.getMessage(), e);
        } finally {
            recorder.close();
            durable.close();
            deleteQuietly(stateDir);
        }
        return rows;
    }

    private static Headers[] headersByLabel(Dataset data) {
        Headers[] out = new Headers[data.classNames().size()];
        for (int label = 0; label < out.length; label++) {
            Headers h = new RecordHeaders();
            ImageHeaders.describeRaw(h, new RawImage(data.width(), data.height(), data.channels(),
                    new byte[data.imageBytes()]));
            ImageHeaders.put(h, ImageHeaders.LABEL, Integer.toString(label));
            out[label] = h;
        }
        return out;
    }

    private static Dataset load() throws DatasetException {
        Path path = DatasetLocator.resolve(null, System.getenv());
        return Datasets.load(path, Split.TRAIN);
    }

    /** Heap in use after full collections, once it stops falling. */
    private static long heapAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (used >= best) {
                break;
            }
            best = used;
        }
        return best;
    }

    /** {@code VmRSS} from {@code /proc/self/status}, in bytes; -1 where there is none. */
    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.warn("cannot read VmRSS: {}", e.getMessage());
        }
        return -1;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", dir, e.getMessage());
        }
    }

    private static void quietLogging() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        ctx.getLogger("org.apache.kafka.streams.StreamsConfig").setLevel(Level.ERROR);
        ctx.getLogger("dev.osprey.bench").setLevel(Level.INFO);
    }
}
