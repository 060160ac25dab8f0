package dev.osprey.trainer.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import dev.osprey.trainer.TrainerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded feedback store: its cap, its newest-per-class policy, its resolution, its meters. */
class FeedbackStoreTest {

    private static final InputSpec MNIST = new InputSpec(1, 28, 28);

    @Test
    void theCapHoldsUnderTenTimesItsCapacityOfInserts() {
        int cap = 1_000;
        FeedbackStore store = new FeedbackStore(cap, MNIST, 10);
        Random random = new Random(7);
        for (int i = 0; i < 10 * cap; i++) {
            store.put("id-" + i, example(random.nextInt(10), i), 0);
            assertThat(store.size()).isLessThanOrEqualTo(cap);
        }

        assertThat(store.size()).isEqualTo(cap);
        assertThat(store.all()).hasSize(cap);
        assertThat(store.evictions()).isEqualTo(9L * cap);
        assertThat(store.takeEvicted(0)).hasSize(9 * cap);
        assertThat(store.takeEvicted(0)).isEmpty();
    }

    @Test
    void eachClassKeepsItsNewestAndASmallClassLeavesRoomToTheOthers() {
        // 4 classes, 100 places: class 3 sends only 10 examples, so the other three share 90.
        FeedbackStore store = new FeedbackStore(100, MNIST, 4);
        Map<Integer, List<String>> sent = new HashMap<>();
        int n = 0;
        for (int round = 0; round < 200; round++) {
            for (int label = 0; label < 3; label++) {
                String id = "c" + label + "-" + round;
                store.put(id, example(label, n++), 0);
                sent.computeIfAbsent(label, k -> new ArrayList<>()).add(id);
            }
            if (round < 10) {
                store.put("c3-" + round, example(3, n++), 0);
                sent.computeIfAbsent(3, k -> new ArrayList<>()).add("c3-" + round);
            }
        }

        assertThat(store.size(3)).isEqualTo(10);
        for (int label = 0; label < 3; label++) {
            assertThat(store.size(label)).isEqualTo(30);
            List<String> all = sent.get(label);
            List<String> newest = all.subList(all.size() - 30, all.size());
            int cls = label;
            assertThat(store.all()).filteredOn(e -> e.example().label() == cls)
                    .extracting(StoredExample::id).containsExactlyElementsOf(newest);
        }
        assertThat(store.all()).filteredOn(e -> e.example().label() == 3).extracting(StoredExample::id)
                .containsExactlyElementsOf(sent.get(3));
    }

    @Test
    void aBurstOfOneClassDoesNotPushTheOthersOut() {
        FeedbackStore store = new FeedbackStore(40, MNIST, 4);
        for (int label = 0; label < 4; label++) {
            for (int i = 0; i < 10; i++) {
                store.put("c" + label + "-" + i, example(label, i), 0);
            }
        }
        for (int i = 0; i < 1_000; i++) {
            store.put("burst-" + i, example(0, i), 0);
        }

        assertThat(List.of(store.size(0), store.size(1), store.size(2), store.size(3)))
                .containsExactly(10, 10, 10, 10);
        assertThat(store.all()).filteredOn(e -> e.example().label() == 0).extracting(StoredExample::id)
                .allMatch(id -> id.startsWith("burst-9"));
    }

    @Test
    void aNewerLabelForAnIdReplacesItWithoutAnEviction() {
        FeedbackStore store = new FeedbackStore(2, MNIST, 10);
        store.put("a", example(1, 0), 0);
        store.put("a", example(2, 1), 0);

        assertThat(store.size()).isEqualTo(1);
        assertThat(store.size(1)).isZero();
        assertThat(store.all()).singleElement().satisfies(e -> assertThat(e.example().label()).isEqualTo(2));
        assertThat(store.evictions()).isZero();
    }

    @Test
    void examplesAreKeptAtTheModelsInputResolution() throws ImageRejectedException {
        FeedbackStore store = new FeedbackStore(10, MNIST, 10);
        byte[] rgb = new byte[112 * 112 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i % 3 == 0 ? 200 : 0);
        }
        LabelledExample big = new LabelledExample(4, FeedbackKind.IMAGE, 0, new RawImage(112, 112, 3, rgb));

        LabelledExample kept = store.atInputResolution(big);
        store.put("big", kept, 0);

        RawImage image = store.all().get(0).example().image();
        assertThat(List.of(image.width(), image.height(), image.channels(), image.pixels().length))
                .containsExactly(28, 28, 1, 784);
        assertThat(store.atInputResolution(kept)).isSameAs(kept);
        assertThatThrownBy(() -> store.put("raw", big, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1x28x28");
        assertThatThrownBy(() -> store.atInputResolution(example(10, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10 classes");
    }

    @Test
    void evictedIdsAreHandedToTheirOwnPartitionOnly() {
        FeedbackStore store = new FeedbackStore(2, MNIST, 10);
        store.put("p0", example(1, 0), 0);
        store.put("p1", example(1, 1), 1);
        store.put("p2", example(1, 2), 2);
        store.put("p3", example(1, 3), 2);

        assertThat(store.takeEvicted(0)).containsExactly("p0");
        assertThat(store.takeEvicted(1)).containsExactly("p1");
        assertThat(store.takeEvicted(2)).isEmpty();

        store.dropPartition(2);
        assertThat(store.size()).isZero();
        assertThat(store.evictions()).isEqualTo(2);
    }

    @Test
    void amongEquallyLargeClassesTheOldestExampleGoesNeverTheNewOne() {
        FeedbackStore store = new FeedbackStore(1, MNIST, 10);
        store.put("old", example(5, 0), 0);
        store.put("new", example(0, 1), 0);

        assertThat(store.all()).extracting(StoredExample::id).containsExactly("new");
    }

    @Test
    void anEvictedIdThatCameBackIsNotDeletedFromTheDurableStore() {
        FeedbackStore store = new FeedbackStore(1, MNIST, 10);
        store.put("x", example(1, 0), 0);
        store.put("y", example(1, 1), 1);
        store.put("x", example(1, 2), 0);

        assertThat(store.takeEvicted(0)).isEmpty();
        assertThat(store.takeEvicted(1)).containsExactly("y");
    }

    @Test
    void theMetersShowSizeCapacityAndEvictions() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FeedbackStore store = new FeedbackStore(5, MNIST, 10);
        new TrainerMetrics(registry).feedbackStore(store);
        for (int i = 0; i < 12; i++) {
            store.put("id-" + i, example(i % 10, i), -1);
        }

        assertThat(registry.get("osprey.trainer.feedback.evicted").functionCounter().count()).isEqualTo(7.0);
        assertThat(registry.get("osprey.trainer.feedback.stored").gauge().value()).isEqualTo(5.0);
        assertThat(registry.get("osprey.trainer.feedback.capacity").gauge().value()).isEqualTo(5.0);
    }

    @Test
    void aCapacityOutOfRangeIsRefusedWithTheOptionsName() {
        assertThatThrownBy(() -> new FeedbackStore(0, MNIST, 10)).hasMessageContaining("--max-feedback");
        assertThatThrownBy(() -> new FeedbackStore(FeedbackStore.MAX_CAPACITY + 1, MNIST, 10))
                .hasMessageContaining("--max-feedback");
    }

    private static LabelledExample example(int label, int seed) {
        byte[] px = new byte[28 * 28];
        px[0] = (byte) seed;
        return new LabelledExample(label, FeedbackKind.IMAGE, seed, new RawImage(28, 28, 1, px));
    }
}
