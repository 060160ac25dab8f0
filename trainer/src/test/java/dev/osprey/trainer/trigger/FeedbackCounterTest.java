package dev.osprey.trainer.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeedbackCounterTest {

    @Test
    void asksForARunEveryNExamples() {
        List<TriggerRequest> asked = new ArrayList<>();
        FeedbackCounter counter = new FeedbackCounter(3, r -> {
            asked.add(r);
            return TriggerSink.Submission.SCHEDULED;
        });
        for (int i = 0; i < 7; i++) {
            counter.stored();
        }
        assertThat(asked).hasSize(2).allMatch(r -> r.source() == TriggerSource.FEEDBACK_COUNT);
        assertThat(counter.sinceLast()).isEqualTo(1);
    }

    @Test
    void zeroNeverAsks() {
        FeedbackCounter counter = new FeedbackCounter(0, r -> {
            throw new AssertionError("asked");
        });
        for (int i = 0; i < 1000; i++) {
            counter.stored();
        }
        assertThat(counter.sinceLast()).isZero();
    }
}
