package dev.osprey.trainer.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.format.RetrainRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TriggerRequestTest {

    @Test
    void readsTheDocumentedOptions() {
        TriggerRequest r = TriggerRequest.of(TriggerSource.RETRAIN_TOPIC,
                new RetrainRequest("night shift", "alice", Map.of("fresh", "true", "epochs", "4")));
        assertThat(r.fresh()).isTrue();
        assertThat(r.epochs()).contains(4);
        assertThat(r.describe()).isEqualTo("night shift (alice)");
        assertThat(TriggerRequest.of(TriggerSource.HTTP, new RetrainRequest(null, null, null)).fresh()).isFalse();
    }

    @Test
    void refusesOptionsItDoesNotUnderstand() {
        assertThatThrownBy(() -> TriggerRequest.of(TriggerSource.HTTP,
                new RetrainRequest("x", null, Map.of("fresh", "maybe")))).hasMessageContaining("fresh");
        assertThatThrownBy(() -> TriggerRequest.of(TriggerSource.HTTP,
                new RetrainRequest("x", null, Map.of("epochs", "many")))).hasMessageContaining("epochs");
        assertThatThrownBy(() -> TriggerRequest.of(TriggerSource.HTTP,
                new RetrainRequest("x", null, Map.of("epochs", "0")))).hasMessageContaining("epochs");
    }

    @Test
    void mergingKeepsTheFirstSourceAndBoundsTheReasons() {
        TriggerRequest r = TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "r0");
        for (int i = 1; i < 50; i++) {
            r = r.merge(TriggerRequest.of(TriggerSource.HTTP, "r" + i));
        }
        assertThat(r.source()).isEqualTo(TriggerSource.FEEDBACK_COUNT);
        assertThat(r.reasons()).hasSize(TriggerRequest.MAX_REASONS).startsWith("r0", "r1");
    }
}
