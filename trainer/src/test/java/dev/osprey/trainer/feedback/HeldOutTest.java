package dev.osprey.trainer.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeldOutTest {

    @Test
    void holdsOutTheConfiguredShareSplitBetweenValidationAndGate() {
        Map<HeldOut.Role, Integer> counts = new EnumMap<>(HeldOut.Role.class);
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counts.merge(HeldOut.role("img-" + i, 20), 1, Integer::sum);
        }
        assertThat(counts.get(HeldOut.Role.TRAIN) / (double) n).isBetween(0.79, 0.81);
        assertThat(counts.get(HeldOut.Role.VALIDATION) / (double) n).isBetween(0.095, 0.105);
        assertThat(counts.get(HeldOut.Role.GATE) / (double) n).isBetween(0.095, 0.105);
    }

    @Test
    void anIdAlwaysFallsOnTheSameSide() {
        for (int i = 0; i < 1000; i++) {
            assertThat(HeldOut.role("id-" + i, 20)).isEqualTo(HeldOut.role("id-" + i, 20));
        }
    }
}
