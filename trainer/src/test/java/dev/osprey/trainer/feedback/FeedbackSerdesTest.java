package dev.osprey.trainer.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.RawImage;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class FeedbackSerdesTest {

    @Test
    void examplesRoundTrip() {
        byte[] px = new byte[4 * 3 * 3];
        px[5] = 7;
        LabelledExample e = new LabelledExample(9, FeedbackKind.CORRECTION, 123L, new RawImage(4, 3, 3, px));
        byte[] bytes = LabelledExample.serde().serializer().serialize("t", e);
        assertThat(LabelledExample.serde().deserializer().deserialize("t", bytes)).isEqualTo(e);
    }

    @Test
    void envelopesRoundTripWithAbsentHeaders() {
        ImageEnvelope e = new ImageEnvelope("image/png", null, "28", null, new byte[] {1, 2, 3});
        byte[] bytes = ImageEnvelope.serde().serializer().serialize("t", e);
        assertThat(ImageEnvelope.serde().deserializer().deserialize("t", bytes)).isEqualTo(e);
    }

    @Test
    void corruptBytesAreASerializationException() {
        assertThatThrownBy(() -> LabelledExample.serde().deserializer().deserialize("t", new byte[] {1, 0, 0}))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> ImageEnvelope.serde().deserializer().deserialize("t", new byte[] {9}))
                .isInstanceOf(SerializationException.class);
    }
}
