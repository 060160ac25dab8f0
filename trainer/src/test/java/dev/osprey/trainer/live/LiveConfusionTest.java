package dev.osprey.trainer.live;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.format.TrainingEvent;
import dev.osprey.trainer.TrainerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveConfusionTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TrainerMetrics metrics = new TrainerMetrics(registry);
    private final List<String> added = new ArrayList<>();
    private final LiveConfusion confusion = new LiveConfusion(new LiveConfusion.Listener() {
        @Override
        public void added(VersionStats stats) {
            added.add("v" + stats.version());
        }

        @Override
        public void evicted(VersionStats stats) {
            metrics.forgetClassMeters(stats);
        }
    });

    private void record(int version, int label, int predicted, int times) {
        for (int i = 0; i < times; i++) {
            Outcome o = new Outcome("m", version, label, predicted);
            confusion.record(o).ifPresent(s -> metrics.classOutcome(s, label, predicted));
        }
    }

    @Test
    void countsAConfusionMatrixAndPerClassAccuracyPerVersion() {
        record(1, 0, 0, 8);
        record(1, 0, 6, 2);
        record(1, 6, 6, 1);
        record(1, 6, 0, 3);

        VersionStats v1 = confusion.stats("m", 1).orElseThrow();
        assertThat(v1.outcomes()).isEqualTo(14);
        assertThat(v1.accuracy()).isEqualTo(9 / 14.0);
        assertThat(v1.classAccuracy(0)).isEqualTo(0.8);
        assertThat(v1.classAccuracy(6)).isEqualTo(0.25);
        assertThat(v1.classAccuracy(3)).as("a class never seen as a label").isNaN();
        assertThat(v1.count(6, 0)).isEqualTo(3);
        assertThat(v1.matrix()[0][6]).isEqualTo(2);

        Map<String, Object> map = v1.toMap();
        assertThat(map).containsEntry("version", 1).containsEntry("outcomes", 14L);
        assertThat((List<?>) map.get("perClass")).hasSize(7).element(3).isNull();

        assertThat(registry.get("osprey.trainer.live.class.accuracy").tags("version", "1", "class", "6").gauge()
                .value()).isEqualTo(0.25);
        assertThat(registry.get("osprey.trainer.live.confusion")
                .tags("version", "1", "label", "0", "predicted", "6").functionCounter().count()).isEqualTo(2);
    }

    @Test
    void keepsTheNewestTwoVersionsAndRemovesTheMetersOfTheOldest() {
        record(1, 1, 1, 1);
        record(2, 1, 1, 1);
        record(3, 1, 2, 1);
        record(1, 1, 1, 5);

        assertThat(confusion.versions("m")).extracting(VersionStats::version).containsExactly(2, 3);
        assertThat(confusion.stats("m", 1)).as("late outcomes of a retired version are dropped").isEmpty();
        assertThat(added).containsExactly("v1", "v2", "v3");
        assertThat(registry.find("osprey.trainer.live.class.accuracy").tag("version", "1").gauges()).isEmpty();
        assertThat(registry.find("osprey.trainer.live.class.accuracy").tag("version", "3").gauges()).hasSize(1);
    }

    @Test
    void itsMapGoesOnAnEventEvenBeforeTheFirstOutcome() {
        VersionStats empty = new VersionStats("m", 4);
        assertThat(empty.toMap()).doesNotContainKey("accuracy").containsEntry("outcomes", 0L);
        record(4, 2, 2, 1);
        TrainingEvent event = TrainingEvent.ofVersion("live-accuracy", "m", 4, "x",
                confusion.stats("m", 4).orElseThrow().toMap());
        assertThat(TrainingEvent.serde().fromBytes(TrainingEvent.serde().toBytes(event)).details())
                .containsEntry("accuracy", 1.0).containsKey("confusion");
        assertThat(TrainingEvent.ofVersion("live-accuracy", "m", 4, "x", empty.toMap()).details())
                .doesNotContainKey("accuracy");
    }

    @Test
    void classesOutsideTheBoundAreNotCounted() {
        record(1, VersionStats.MAX_CLASSES, 0, 1);
        record(1, 2, -1, 1);

        VersionStats v1 = confusion.stats("m", 1).orElseThrow();
        assertThat(v1.outcomes()).isZero();
        assertThat(v1.toMap()).containsEntry("ignoredOutOfRange", 2L);
    }
}
