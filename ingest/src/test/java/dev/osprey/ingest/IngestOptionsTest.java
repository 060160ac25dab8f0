package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.dataset.DatasetKind;
import dev.osprey.core.dataset.Split;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IngestOptionsTest {

    @Test
    void defaultsPublishTheTestSplitOnceUnpaced() {
        IngestOptions o = IngestOptions.builder("/data/fashion").build();
        assertThat(o.split()).isEqualTo(Split.TEST);
        assertThat(o.count()).isZero();
        assertThat(o.rate()).isZero();
        assertThat(o.loop()).isFalse();
        assertThat(o.endless()).isFalse();
        assertThat(o.feedbackShare()).isZero();
        assertThat(o.format()).isEmpty();
        assertThat(o.stdin()).isFalse();
        assertThat(IngestOptions.builder("-").build().stdin()).isTrue();
        assertThat(IngestOptions.builder("d").loop(true).build().endless()).isTrue();
    }

    @Test
    void rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> IngestOptions.builder(" ").build()).hasMessageContaining("source");
        assertThatThrownBy(() -> IngestOptions.builder("d").count(-1).build()).hasMessageContaining("count");
        assertThatThrownBy(() -> IngestOptions.builder("d").rate(-5).build()).hasMessageContaining("rate");
        assertThatThrownBy(() -> IngestOptions.builder("d").rate(Double.NaN).build()).hasMessageContaining("rate");
        assertThatThrownBy(() -> IngestOptions.builder("d").feedback(1.5, Duration.ZERO).build())
                .hasMessageContaining("feedback share").hasMessageContaining("1.5");
        assertThatThrownBy(() -> IngestOptions.builder("d").feedback(0.5, Duration.ofSeconds(-1)).build())
                .hasMessageContaining("feedback delay");
        assertThatThrownBy(() -> IngestOptions.builder("d").idPrefix("a b").build())
                .hasMessageContaining("id prefix 'a b'");
        assertThatThrownBy(() -> IngestOptions.builder("-").format(DatasetKind.CIFAR10).build())
                .hasMessageContaining("stdin").hasMessageContaining("cifar10");
    }
}
