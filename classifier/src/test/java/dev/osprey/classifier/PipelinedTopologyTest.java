package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.classifier.batch.BatchClassifier;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.batch.BatchSettings;
import dev.osprey.classifier.batch.BatchingProcessor;
import dev.osprey.classifier.batch.InferenceException;
import dev.osprey.classifier.batch.InferencePool;
import dev.osprey.classifier.batch.InputReplayer;
import dev.osprey.classifier.batch.Outcome;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batching topology with its forward passes on inference workers: the same outputs in the same
 * order as inline, the flush pointer held until a batch is forwarded, back-pressure at the in-flight
 * bound, and a worker's failure surfacing on the stream thread.
 */
class PipelinedTopologyTest {

    private static final OspreyTopics TOPICS = OspreyTopics.defaults();
    private static final ModelManifest MODEL = new ModelManifest("digits", 3, "mlp", new InputSpec(1, 28, 28),
            Normalization.unit(1), List.of("zero", "one", "two"), Map.of(), Map.of(), 0, "00", Instant.EPOCH);
    private static final InputReplayer NO_REPLAY = NoReplay.INSTANCE;

    @TempDir
    Path stateDir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> images;
    private TestOutputTopic<String, byte[]> predictions;
    private TestOutputTopic<String, byte[]> deadLetters;

    /** Class = first pixel mod 3; 255 cannot be fed to the model; a batch holding 254 throws. */
    private static BatchResult answer(List<RawImage> imgs) {
        if (imgs.stream().anyMatch(img -> img.get(0, 0, 0) == 254)) {
            throw new InferenceException("boom", new IllegalStateException("poisoned tensor"));
        }
        List<Outcome> out = new ArrayList<>();
        for (RawImage img : imgs) {
            int v = img.get(0, 0, 0);
            out.add(v == 255 ? new Outcome.Rejected(RejectReason.BAD_DIMENSIONS, "cannot resize")
                    : new Outcome.Classified(new int[] {v % 3, (v + 1) % 3}, new float[] {0.9f, 0.1f}));
        }
        return new BatchResult(MODEL, out);
    }

    private void start(BatchClassifier classifier, BatchSettings settings, InferencePool pool, int inFlight) {
        open.add(pool);
        ClassifierMetrics metrics = new ClassifierMetrics(new SimpleMeterRegistry());
        driver = new TopologyTestDriver(ClassifierTopology.build(TOPICS, settings, classifier, NO_REPLAY, metrics,
                pool, inFlight), ClassifierApp.streamsConfig(ClassifierConfig.defaults("dummy:9092", TOPICS),
                stateDir.resolve(Integer.toString(open.size())), metrics));
        images = driver.createInputTopic(TOPICS.images(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        predictions = driver.createOutputTopic(TOPICS.predictions(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
        deadLetters = driver.createOutputTopic(TOPICS.deadLetters(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private static byte[] pixels(int first) {
        byte[] px = new byte[28 * 28];
        px[0] = (byte) first;
        return px;
    }

    private void send(String id, int first) {
        images.pipeInput(new TestRecord<>(id, pixels(first), null, Instant.ofEpochMilli(1000)));
    }

    /**
     * Fires punctuations (forwarding finished batches, handing off due ones) until {@code outputs} are
     * out: the predictions in the order written, then the dead letters in the order written.
     */
    private List<String> drain(int outputs) throws InterruptedException {
        List<String> predicted = new ArrayList<>();
        List<String> dead = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (predicted.size() + dead.size() < outputs && System.nanoTime() < deadline) {
            Thread.sleep(5);
            driver.advanceWallClockTime(Duration.ofMillis(50));
            predictions.readRecordsToList().forEach(r -> predicted.add("p:" + r.key() + ":"
                    + Prediction.serde().fromBytes(r.value()).classIndex()));
            deadLetters.readRecordsToList().forEach(r -> dead.add("d:" + r.key() + ":"
                    + new String(r.headers().lastHeader(DeadLetterHeaders.ERROR).value(), StandardCharsets.UTF_8)));
        }
        predicted.addAll(dead);
        return predicted;
    }

    private List<String> run(InferencePool pool, int inFlight, long seed) throws InterruptedException {
        Random delays = new Random(seed);
        start(imgs -> {
            try {
                Thread.sleep(delays.nextInt(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return answer(imgs);
        }, new BatchSettings(16, Duration.ofMillis(5)), pool, inFlight);
        Random values = new Random(seed);
        for (int i = 0; i < 1000; i++) {
            int r = values.nextInt(100);
            send("img-" + i, r == 0 ? 255 : r == 1 ? 254 : values.nextInt(250));
        }
        List<String> out = drain(1000);
        driver.close();
        driver = null;
        return out;
    }

    @Test
    void pipelinedOutputsEqualInlineOnesInTheSameOrder() throws InterruptedException {
        long seed = 20261203L;
        List<String> inline = run(InferencePool.inline(), 1, seed);
        List<String> pipelined = run(InferencePool.of(2), 3, seed);
        assertThat(inline).hasSize(1000);
        assertThat(inline).anyMatch(s -> s.endsWith(RejectReason.INFERENCE_FAILED.id()))
                .anyMatch(s -> s.endsWith(RejectReason.BAD_DIMENSIONS.id()));
        assertThat(pipelined).as("seed %d", seed).containsExactlyElementsOf(inline);
    }

    @Test
    void thePointerMovesOnlyWhenABatchIsForwardedAndAFullPipelineHoldsTheStreamThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger passes = new AtomicInteger();
        start(imgs -> {
            passes.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return answer(imgs);
        }, new BatchSettings(4, Duration.ofSeconds(30)), InferencePool.of(1), 2);
        KeyValueStore<Integer, Long> pointers = driver.getKeyValueStore(BatchingProcessor.POINTER_STORE);
        for (int i = 0; i < 8; i++) {
            send("a-" + i, i);
        }
        // Two batches handed off, none finished: nothing out, and the pointer still at the first image.
        assertThat(predictions.isEmpty()).isTrue();
        assertThat(pointers.get(0)).isEqualTo(0L);

        // A third full batch finds two in flight: the stream thread waits for the oldest.
        CompletableFuture<Void> third = CompletableFuture.runAsync(() -> {
            for (int i = 8; i < 12; i++) {
                send("a-" + i, i);
            }
        });
        Thread.sleep(300);
        assertThat(third).as("held by back-pressure").isNotDone();
        release.countDown();
        third.get(10, TimeUnit.SECONDS);

        List<String> out = drain(12);
        assertThat(out).hasSize(12);
        assertThat(out.get(0)).startsWith("p:a-0:");
        assertThat(out.get(11)).startsWith("p:a-11:");
        assertThat(pointers.get(0)).isEqualTo(12L);
        assertThat(passes.get()).isEqualTo(3);
    }

    @Test
    void whatAWorkerThrowsFailsTheStreamThread() throws InterruptedException {
        start(imgs -> {
            throw new IllegalStateException("native crash in the forward pass");
        }, new BatchSettings(2, Duration.ofMillis(5)), InferencePool.of(1), 2);
        send("x-0", 1);
        send("x-1", 2);
        Thread.sleep(100);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 50; i++) {
                driver.advanceWallClockTime(Duration.ofMillis(50));
                Thread.sleep(5);
            }
        }).hasStackTraceContaining("native crash in the forward pass");
        assertThat(predictions.isEmpty()).isTrue();
    }
}
