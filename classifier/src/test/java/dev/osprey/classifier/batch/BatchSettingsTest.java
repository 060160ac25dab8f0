package dev.osprey.classifier.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.ImageDecoder;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link BatchSettings}: the bounds and the default pixel budget as docs/OPERATIONS.md states them. */
class BatchSettingsTest {

    private static final long GIB = 1024L * 1024 * 1024;

    @Test
    void theDefaultPixelBudgetFollowsTheHeapAndTheBatchSizeWithinItsBounds() {
        assertThat(BatchSettings.defaultMaxPixels(GIB, 256)).isEqualTo(1024L * 1024);
        assertThat(BatchSettings.defaultMaxPixels(8 * GIB, 256)).isEqualTo(8 * GIB / 4 / (3 * 256));
        assertThat(BatchSettings.defaultMaxPixels(16 * GIB, 64)).isEqualTo(4096L * 4096);
        assertThat(BatchSettings.defaultMaxPixels(48 * GIB, 256)).isEqualTo(ImageDecoder.DEFAULT_MAX_PIXELS);
        assertThat(BatchSettings.defaultMaxPixels(64L * 1024 * 1024, 65536)).isEqualTo(1024L * 1024);
    }

    @Test
    void badBoundsAreRefusedWithTheirFlagName() {
        assertThatThrownBy(() -> new BatchSettings(8, Duration.ofMillis(5), 0, 1000))
                .hasMessageContaining("max-batch-bytes");
        assertThatThrownBy(() -> new BatchSettings(8, Duration.ofMillis(5), 1000, 0))
                .hasMessageContaining("max-pixels");
        assertThatThrownBy(() -> BatchSettings.defaults().withMaxPixels(ImageDecoder.DEFAULT_MAX_PIXELS + 1))
                .hasMessageContaining("max-pixels");
    }
}
