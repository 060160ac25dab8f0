package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    /** The curve the trainer used before it took DJL's tracker, computed in doubles. */
    private static double reference(double peak, double progress) {
        double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
        return peak * (LrSchedule.FINAL_FRACTION + (1 - LrSchedule.FINAL_FRACTION) * cosine);
    }

    @Test
    void startsAtThePeakAndAnnealsToAFractionOfIt() {
        LrSchedule s = new LrSchedule(1e-3f, 100, 4);

        assertThat(s.current()).isEqualTo(1e-3f);
        s.step(0);
        assertThat(s.current()).isCloseTo(1e-3f, within(1e-9f));
        s.step(200);
        assertThat(s.current()).isCloseTo(1e-3f * (0.05f + 0.95f * 0.5f), within(1e-9f));
        s.step(400);
        assertThat(s.current()).isCloseTo(5e-5f, within(1e-10f));
        s.step(10_000);
        assertThat(s.current()).isCloseTo(5e-5f, within(1e-10f));
    }

    @Test
    void matchesTheDoubleCosineToFloatPrecisionAtEveryStep() {
        LrSchedule s = new LrSchedule(3e-4f, 937, 3);
        for (int step = 0; step <= 3 * 937 + 10; step++) {
            s.step(step);
            double expected = reference(3e-4, step / (937.0 * 3));
            assertThat((double) s.current()).as("step %d", step).isCloseTo(expected, within(expected * 1e-6));
        }
    }

    @Test
    void theOptimiserReadsTheTrainersStepNotItsOwnCount() {
        LrSchedule s = new LrSchedule(1f, 10, 1);
        s.step(5);

        assertThat(s.getNewValue(0)).isEqualTo(s.current());
        assertThat(s.getNewValue("weight", 999)).isEqualTo(s.current());
    }

    @Test
    void fewerPlannedEpochsAnnealSooner() {
        LrSchedule s = new LrSchedule(1f, 10, 10);
        s.step(20);
        float onTen = s.current();

        s.plan(2);
        s.step(20);

        assertThat(s.plannedEpochs()).isEqualTo(2);
        assertThat(s.current()).isCloseTo(0.05f, within(1e-6f)).isLessThan(onTen);
    }

    @Test
    void shrinkScalesTheRateNowAndTheRestOfTheCurve() {
        LrSchedule s = new LrSchedule(1f, 10, 2);
        s.step(5);
        float before = s.current();

        s.shrink(0.1f);
        assertThat(s.current()).isCloseTo(before * 0.1f, within(1e-7f));
        s.step(5);
        assertThat(s.current()).isCloseTo(before * 0.1f, within(1e-7f));
        s.step(20);
        assertThat(s.current()).isCloseTo(0.005f, within(1e-7f));
    }

    @Test
    void refusesARateOrPlanThatCannotAnneal() {
        assertThatThrownBy(() -> new LrSchedule(0f, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LrSchedule(Float.NaN, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LrSchedule(1f, 10, 1).plan(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
