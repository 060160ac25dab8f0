package dev.osprey.trainer.live;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.trainer.trigger.LiveAccuracyTrigger;
import dev.osprey.trainer.trigger.TriggerRequest;
import dev.osprey.trainer.trigger.TriggerSink;
import dev.osprey.trainer.trigger.TriggerSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveAccuracyTest {

    private final List<TriggerRequest> asked = new ArrayList<>();
    private final LiveAccuracyTrigger trigger = new LiveAccuracyTrigger("m", 0.8, r -> {
        asked.add(r);
        return TriggerSink.Submission.SCHEDULED;
    });
    private final List<String> firsts = new ArrayList<>();
    private final LiveAccuracy live = new LiveAccuracy(10, new LiveAccuracy.Listener() {
        @Override
        public void firstOutcome(LiveAccuracy source, String model, int version) {
            firsts.add(model + ":v" + version);
        }

        @Override
        public void windowFilled(LiveAccuracy source, String model, int version, double accuracy) {
            trigger.windowFilled(source, model, version, accuracy);
        }
    });

    private void record(String model, int version, int correct, int wrong) {
        for (int i = 0; i < correct; i++) {
            live.record(new Outcome(model, version, 1, 1));
        }
        for (int i = 0; i < wrong; i++) {
            live.record(new Outcome(model, version, 1, 2));
        }
    }

    @Test
    void slidesOverTheLastWindowPerVersion() {
        record("m", 1, 10, 0);
        record("m", 1, 0, 5);
        assertThat(live.accuracy("m", 1)).hasValue(0.5);
        record("m", 2, 3, 1);
        assertThat(live.accuracy("m", 2)).hasValue(0.75);
        assertThat(live.newest("m")).hasValueSatisfying(s -> {
            assertThat(s.version()).isEqualTo(2);
            assertThat(s.outcomes()).isEqualTo(4);
        });
        assertThat(firsts).containsExactly("m:v1", "m:v2");
        assertThat(live.accuracy("m", 3)).isEmpty();
    }

    @Test
    void triggersOncePerFullWindowBelowTheThreshold() {
        record("m", 1, 7, 3);
        assertThat(asked).hasSize(1);
        assertThat(asked.get(0).source()).isEqualTo(TriggerSource.LIVE_ACCURACY);
        record("m", 1, 0, 9);
        assertThat(asked).as("not again before another full window").hasSize(1);
        record("m", 1, 0, 1);
        assertThat(asked).hasSize(2);
    }

    @Test
    void neverTriggersForAccurateVersionsOtherModelsOrOlderVersions() {
        record("m", 1, 9, 1);
        record("other", 1, 0, 10);
        record("m", 3, 9, 1);
        record("m", 2, 0, 10);
        assertThat(asked).isEmpty();
    }
}
