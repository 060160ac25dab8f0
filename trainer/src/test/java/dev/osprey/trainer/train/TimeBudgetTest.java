package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TimeBudgetTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(5 * SECOND);

    @Test
    void isSpentOnlyPastTheLimit() {
        TimeBudget budget = new TimeBudget(Duration.ofSeconds(10), clock::get);

        assertThat(budget.spentAt(clock.get())).isFalse();
        assertThat(budget.spentAt(clock.get() + 10 * SECOND)).isFalse();
        assertThat(budget.spentAt(clock.get() + 10 * SECOND + 1)).isTrue();
    }

    @Test
    void measuresElapsedFromItsStart() {
        TimeBudget budget = new TimeBudget(Duration.ofSeconds(10), clock::get);
        clock.addAndGet(3 * SECOND);

        assertThat(budget.elapsed()).isEqualTo(Duration.ofSeconds(3));
        assertThat(budget.now()).isEqualTo(8 * SECOND);
    }

    @Test
    void plansAsManyEpochsAsFitAtThePaceSoFar() {
        TimeBudget budget = new TimeBudget(Duration.ofSeconds(10), clock::get);
        clock.addAndGet(3 * SECOND);

        // 2 epochs took 3 s: 7 s left hold 4 more at 1.5 s each.
        assertThat(budget.epochsThatFit(2, 20)).isEqualTo(6);
        assertThat(budget.epochsThatFit(2, 5)).isEqualTo(5);
    }

    @Test
    void neverPlansFewerThanTheEpochsDone() {
        TimeBudget budget = new TimeBudget(Duration.ofSeconds(10), clock::get);
        clock.addAndGet(12 * SECOND);

        assertThat(budget.epochsThatFit(3, 20)).isEqualTo(3);
    }

    @Test
    void aClockThatHasNotMovedKeepsThePlan() {
        TimeBudget budget = new TimeBudget(Duration.ofSeconds(10), clock::get);

        assertThat(budget.epochsThatFit(1, 7)).isEqualTo(7);
    }
}
