package dev.osprey.classifier.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class BatchWarmupTest {

    private static final ModelManifest MODEL = new ModelManifest("digits", 1, "mlp", new InputSpec(1, 28, 28),
            Normalization.unit(1), List.of("a", "b"), Map.of(), Map.of(), 0, "00", Instant.EPOCH);

    @Test
    void everyWorkerRunsFullBatchesOfTheModelsInputShape() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<Integer> sizes = java.util.Collections.synchronizedList(new ArrayList<>());
        BatchClassifier classifier = imgs -> {
            threads.add(Thread.currentThread().getName());
            sizes.add(imgs.size());
            assertThat(imgs).allMatch(i -> i.width() == 28 && i.height() == 28 && i.channels() == 1);
            List<Outcome> out = new ArrayList<>();
            imgs.forEach(i -> out.add(new Outcome.Classified(new int[] {1, 0}, new float[] {0.7f, 0.3f})));
            return new BatchResult(MODEL, out);
        };
        try (InferencePool pool = InferencePool.of(2)) {
            int n = BatchWarmup.run(classifier, MODEL.input(), new BatchSettings(64, Duration.ofMillis(5)), pool, 5,
                    Duration.ofSeconds(30));
            assertThat(n).isEqualTo(5 * 2 * 64);
        }
        assertThat(sizes).hasSize(10).containsOnly(64);
        assertThat(threads).allMatch(t -> t.startsWith("osprey-inference-"));
    }

    @Test
    void aModelThatCannotRunFailsTheWarmUp() {
        BatchClassifier broken = imgs -> {
            throw new IllegalStateException("no kernel for this shape");
        };
        assertThatThrownBy(() -> BatchWarmup.run(broken, MODEL.input(), new BatchSettings(8, Duration.ofMillis(5)),
                InferencePool.inline(), 3, Duration.ofSeconds(1)))
                .hasStackTraceContaining("no kernel for this shape");
    }
}
