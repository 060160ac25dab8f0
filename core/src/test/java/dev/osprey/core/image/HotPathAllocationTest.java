package dev.osprey.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.osprey.core.model.Normalization;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-record paths of the classifier (raw decode, same-shape model input) must not allocate
 * per pixel: counted in bytes with the JVM's per-thread allocation counter, not timed.
 */
class HotPathAllocationTest {

    private static final int CALLS = 20_000;

    private com.sun.management.ThreadMXBean threads;

    @BeforeEach
    void needsAllocationCounter() {
        assumeThat(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean)
                .as("this JVM does not count allocated bytes per thread").isTrue();
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeThat(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled())
                .as("per-thread allocation counting is off").isTrue();
    }

    private long allocated() {
        return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    @Test
    void sameShapeModelInputAllocatesNothing() throws Exception {
        RawImage image = TestImages.pattern(32, 32, 3);
        InputSpec spec = new InputSpec(3, 32, 32);
        Normalization norm = new Normalization(new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.25f, 0.3f});
        // As the classifier fills it: the direct, native-order buffer its input tensor is made from.
        FloatBuffer batch = ByteBuffer.allocateDirect(spec.size() * 4 * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < 100; i++) {
            ModelInput.fill(image, spec, norm, batch, (i % 4) * spec.size());
        }
        long before = allocated();
        for (int i = 0; i < CALLS; i++) {
            ModelInput.fill(image, spec, norm, batch, (i % 4) * spec.size());
        }
        long perCall = (allocated() - before) / CALLS;
        assertThat(perCall).as("bytes allocated per fill").isZero();
    }

    @Test
    void labelHeaderIsReadWithoutAllocating() {
        Headers headers = new RecordHeaders();
        ImageHeaders.put(headers, ImageHeaders.LABEL, "7");
        int sum = 0;
        for (int i = 0; i < 100; i++) {
            sum += ImageHeaders.labelIndex(headers);
        }
        long before = allocated();
        for (int i = 0; i < CALLS; i++) {
            sum += ImageHeaders.labelIndex(headers);
        }
        long perCall = (allocated() - before) / CALLS;
        assertThat(sum).isEqualTo(7 * (CALLS + 100));
        assertThat(perCall).as("bytes allocated per label read").isZero();
    }

    @Test
    void rawDecodeAllocatesOnlyTheImageRecord() throws Exception {
        byte[] value = new byte[784];
        Headers headers = new RecordHeaders();
        ImageHeaders.describeRaw(headers, new RawImage(28, 28, 1, value));
        for (int i = 0; i < 100; i++) {
            ImageDecoder.decode(value, headers);
        }
        long before = allocated();
        for (int i = 0; i < CALLS; i++) {
            ImageDecoder.decode(value, headers);
        }
        long perCall = (allocated() - before) / CALLS;
        // A RawImage object and nothing proportional to the pixels (784 bytes would show).
        assertThat(perCall).as("bytes allocated per raw decode").isLessThan(128);
    }
}
