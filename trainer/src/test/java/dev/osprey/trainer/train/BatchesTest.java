package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.ModelInput;
import dev.osprey.core.model.Normalization;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchesTest {

    @Test
    void aLastBatchOfOneImageIsDropped() {
        assertThat(Batches.count(128, 64)).isEqualTo(2);
        assertThat(Batches.count(129, 64)).isEqualTo(2);
        assertThat(Batches.count(130, 64)).isEqualTo(3);
        assertThat(Batches.count(1, 64)).isEqualTo(1);
        assertThat(Batches.count(60000, 128)).isEqualTo(469);
    }

    @Test
    void shuffledIsAPermutationDrawnFromTheRandom() {
        int[] indices = {3, 5, 7, 9, 11, 13, 15, 17};

        int[] a = Batches.shuffled(indices, new Random(1));
        int[] b = Batches.shuffled(indices, new Random(1));

        assertThat(a).isEqualTo(b).containsExactlyInAnyOrder(indices).isNotEqualTo(indices);
        assertThat(indices).containsExactly(3, 5, 7, 9, 11, 13, 15, 17);
    }

    @Test
    void grayBatchesMatchWhatTheClassifierFeeds() throws Exception {
        checkAgainstModelInput(1, new Normalization(new float[] {0.2860f}, new float[] {0.3530f}));
    }

    @Test
    void colourBatchesAreChwAndMatchWhatTheClassifierFeeds() throws Exception {
        checkAgainstModelInput(3, new Normalization(new float[] {0.49f, 0.48f, 0.45f},
                new float[] {0.25f, 0.24f, 0.26f}));
    }

    @Test
    void shiftedImagesMoveByAtMostMaxShiftAndKeepTheirLabels() {
        // 5x5 gray images, black but for one white pixel in the middle.
        int n = 50;
        byte[] px = new byte[n * 25];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            px[i * 25 + 12] = (byte) 255;
            labels[i] = i % 2;
        }
        Dataset d = new Dataset("dots", 5, 5, 1, px, labels, List.of("a", "b"));
        Batches batches = new Batches(d, Normalization.unit(1));
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        float[] out = new float[n * 25];
        float[] lb = new float[n];

        batches.fillShifted(all, 0, n, out, lb, new Random(9), 1);

        boolean moved = false;
        for (int k = 0; k < n; k++) {
            int lit = -1;
            for (int i = 0; i < 25; i++) {
                if (out[k * 25 + i] == 1f) {
                    assertThat(lit).as("one white pixel").isEqualTo(-1);
                    lit = i;
                } else {
                    assertThat(out[k * 25 + i]).isZero();
                }
            }
            assertThat(Math.abs(lit / 5 - 2)).isLessThanOrEqualTo(1);
            assertThat(Math.abs(lit % 5 - 2)).isLessThanOrEqualTo(1);
            moved |= lit != 12;
            assertThat(lb[k]).isEqualTo(labels[k]);
        }
        assertThat(moved).isTrue();

        float[] unshifted = new float[n * 25];
        batches.fillShifted(all, 0, n, unshifted, lb, new Random(9), 0);
        float[] plain = new float[n * 25];
        batches.fill(all, 0, n, plain, lb);
        assertThat(unshifted).containsExactly(plain);
    }

    @Test
    void labelledSkipsUnknownLabels() {
        Dataset d = new Dataset("d", 1, 1, 1, new byte[4], new int[] {0, -1, 1, -1}, List.of("a", "b"));

        assertThat(Batches.labelled(d)).containsExactly(0, 2);
    }

    private static void checkAgainstModelInput(int channels, Normalization norm) throws Exception {
        int w = 5;
        int h = 4;
        int n = 6;
        byte[] px = new byte[n * w * h * channels];
        new Random(3).nextBytes(px);
        int[] labels = {0, 1, 2, 1, 0, 2};
        Dataset d = new Dataset("rand", w, h, channels, px, labels, List.of("a", "b", "c"));
        Batches batches = new Batches(d, norm);
        int[] order = {4, 1, 5};
        float[] out = new float[order.length * batches.imageSize()];
        float[] lb = new float[order.length];

        batches.fill(order, 0, order.length, out, lb);

        for (int k = 0; k < order.length; k++) {
            float[] expected = ModelInput.toArray(d.image(order[k]), d.inputSpec(), norm);
            float[] actual = Arrays.copyOfRange(out, k * batches.imageSize(), (k + 1) * batches.imageSize());
            assertThat(actual).as("image %d", order[k]).containsExactly(expected);
            assertThat(lb[k]).isEqualTo(labels[order[k]]);
        }
    }
}
