package dev.osprey.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.Test;

class FatalFaultGuardTest {

    @Test
    void turnsAHaltIntoAnExceptionWhileInstalled() {
        FatalFaultGuard.acquire();
        long mark = FatalFaultGuard.mark();
        try {
            assertThatThrownBy(() -> Exit.halt(1, "metadata fault"))
                    .isInstanceOf(EmbeddedBrokerException.class)
                    .hasMessageContaining("halt(1)").hasMessageContaining("metadata fault");
            assertThat(FatalFaultGuard.lastFaultSince(FatalFaultGuard.mark())).isEmpty();
            assertThat(FatalFaultGuard.lastFaultSince(mark)).hasValueSatisfying(m -> assertThat(m).contains("metadata fault"));
        } finally {
            FatalFaultGuard.release();
        }
    }
}
