package dev.osprey.classifier.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LabelRequestQuotaTest {

    @Test
    void picksTheSmallestMarginsFirstUpToTheBucket() {
        LabelRequestQuota quota = new LabelRequestQuota(3);
        double[] margins = {0.9, 0.05, 0.5, 0.01, 0.3, 0.05};
        assertThat(quota.choose(margins, 6, 1000)).containsExactly(3, 1, 5);
        assertThat(quota.choose(margins, 6, 1000)).as("the bucket is empty").isEmpty();
    }

    @Test
    void refillsAtTheRateAndHoldsAtMostOneSecond() {
        LabelRequestQuota quota = new LabelRequestQuota(10);
        double[] margins = new double[100];
        assertThat(quota.choose(margins, 100, 0)).hasSize(10);
        assertThat(quota.choose(margins, 100, 500)).as("half a second later").hasSize(5);
        assertThat(quota.choose(margins, 100, 60_000)).as("a quiet minute saves only one second").hasSize(10);
        assertThat(quota.choose(margins, 100, 59_000)).as("a clock going back adds nothing").isEmpty();
    }

    @Test
    void onlyAsksAboutRowsThatExistAndNeverWithRateZero() {
        assertThat(new LabelRequestQuota(50).choose(new double[] {0.2, 0.1}, 2, 0)).containsExactly(1, 0);
        assertThat(new LabelRequestQuota(0).choose(new double[] {0.2}, 1, 0)).isEmpty();
        assertThatThrownBy(() -> new LabelRequestQuota(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
