package dev.osprey.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.format.TrainingEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingEventsTest {

    @Test
    void anEpochEventWithoutAMessageIsLoggedWithItsNumbers() {
        TrainingEvent epoch = new TrainingEvent("epoch", "fashion-mnist", "r-7", null, "feedback-count", 2, 0.41234,
                0.86121, null, null, null, Map.of("seconds", 3.2), 0L);

        assertThat(TrainingEvents.logLine(epoch))
                .isEqualTo("training event epoch fashion-mnist run r-7: epoch 2, loss 0.4123, held-out accuracy 0.8612");
    }

    @Test
    void anEventWithNeitherNumbersNorMessageEndsWithoutAColon() {
        TrainingEvent bare = new TrainingEvent("started", "m", "r-1", null, "http", null, null, null, null, null,
                " ", Map.of(), 0L);

        assertThat(TrainingEvents.logLine(bare)).isEqualTo("training event started m run r-1").doesNotEndWith(":");
    }

    @Test
    void aMessageAndVersionAreKept() {
        TrainingEvent accepted = TrainingEvent.run("accepted", "m", "r-2", "cli", "0.8700 vs 0.8600", Map.of());
        TrainingEvent published = new TrainingEvent("published", "m", "r-2", 3, "cli", null, null, null, null, null,
                "published m:v3", Map.of(), 0L);

        assertThat(TrainingEvents.logLine(accepted)).isEqualTo("training event accepted m run r-2: 0.8700 vs 0.8600");
        assertThat(TrainingEvents.logLine(published)).isEqualTo("training event published m run r-2 v3: published m:v3");
    }
}
