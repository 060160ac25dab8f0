package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.classifier.batch.Outcome;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link DjlBatchClassifier#top}: the three most probable classes of one row, best first. */
class DjlBatchClassifierTopTest {

    @Test
    void picksTheThreeBestOfOneRowInOrder() {
        float[] rows = {
            0.05f, 0.10f, 0.50f, 0.05f, 0.30f, // row 0
            0.70f, 0.01f, 0.02f, 0.07f, 0.20f, // row 1
        };
        Outcome.Classified first = DjlBatchClassifier.top(rows, 0, 5);
        assertThat(first.topClasses()).containsExactly(2, 4, 1);
        assertThat(first.topScores()).containsExactly(0.50f, 0.30f, 0.10f);
        assertThat(first.best()).isEqualTo(2);
        assertThat(first.confidence()).isEqualTo(0.50f);

        Outcome.Classified second = DjlBatchClassifier.top(rows, 5, 5);
        assertThat(second.topClasses()).containsExactly(0, 4, 3);
    }

    @Test
    void twoClassesGiveTwo() {
        Outcome.Classified c = DjlBatchClassifier.top(new float[] {0.25f, 0.75f}, 0, 2);
        assertThat(c.topClasses()).containsExactly(1, 0);
        assertThat(c.topScores()).containsExactly(0.75f, 0.25f);
    }

    @Test
    void tiesKeepTheLowerClassFirst() {
        Outcome.Classified c = DjlBatchClassifier.top(new float[] {0.2f, 0.4f, 0.4f, 0.0f}, 0, 4);
        assertThat(c.topClasses()).containsExactly(1, 2, 0);
    }

    @Test
    void agreesWithAFullSortOnRandomRows() {
        Random random = new Random(42);
        for (int trial = 0; trial < 1_000; trial++) {
            int classes = 3 + random.nextInt(98);
            float[] p = new float[classes];
            for (int c = 0; c < classes; c++) {
                p[c] = random.nextFloat();
            }
            int[] sorted = IntStream.range(0, classes).boxed()
                    .sorted(Comparator.comparingDouble((Integer c) -> -p[c]).thenComparingInt(c -> c))
                    .mapToInt(Integer::intValue).limit(3).toArray();
            Outcome.Classified top = DjlBatchClassifier.top(p, 0, classes);
            assertThat(top.topClasses()).as("trial %d: %s", trial, Arrays.toString(p)).containsExactly(sorted);
        }
    }
}
