package dev.osprey.trainer.feedback;

import dev.osprey.core.image.RawImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A decoded image with its true label: what the trainer keeps (in a changelogged store, keyed by
 * image id) to learn from.
 *
 * @param label     the true class index
 * @param kind      whether it came as a labelled image or as a correction joined to its image
 * @param timestamp the feedback record's timestamp (ms since the epoch)
 * @param image     the decoded pixels
 */
public record LabelledExample(int label, FeedbackKind kind, long timestamp, RawImage image) {

    private static final byte FORMAT = 1;

    public LabelledExample {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(image, "image");
        if (label < 0) {
            throw new IllegalArgumentException("label must be >= 0: " + label);
        }
    }

    /** The binary serde of the examples store and its changelog. */
    public static Serde<LabelledExample> serde() {
        return new ExampleSerde();
    }

    private static final class ExampleSerde implements Serde<LabelledExample> {

        @Override
        public Serializer<LabelledExample> serializer() {
            return (topic, e) -> e == null ? null : write(e);
        }

        @Override
        public Deserializer<LabelledExample> deserializer() {
            return (topic, bytes) -> bytes == null ? null : read(bytes);
        }

        private static byte[] write(LabelledExample e) {
            RawImage img = e.image();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(img.pixels().length + 32);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(FORMAT);
                out.writeByte(e.kind().ordinal());
                out.writeInt(e.label());
                out.writeLong(e.timestamp());
                out.writeInt(img.width());
                out.writeInt(img.height());
                out.writeByte(img.channels());
                out.write(img.pixels());
            } catch (IOException ex) {
                throw new SerializationException("cannot write a labelled example", ex);
            }
            return bytes.toByteArray();
        }

        private static LabelledExample read(byte[] bytes) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                byte format = in.readByte();
                if (format != FORMAT) {
                    throw new SerializationException("unknown labelled example format " + format);
                }
                int kind = in.readByte();
                if (kind < 0 || kind >= FeedbackKind.values().length) {
                    throw new SerializationException("unknown feedback kind " + kind);
                }
                int label = in.readInt();
                long ts = in.readLong();
                int w = in.readInt();
                int h = in.readInt();
                int c = in.readByte();
                long n = (long) w * h * c;
                if (w <= 0 || h <= 0 || n > bytes.length) {
                    throw new SerializationException("labelled example claims a " + w + "x" + h + "x" + c
                            + " image in " + bytes.length + " bytes");
                }
                return new LabelledExample(label, FeedbackKind.values()[kind], ts,
                        new RawImage(w, h, c, in.readNBytes((int) n)));
            } catch (IOException | IllegalArgumentException ex) {
                throw new SerializationException("cannot read a labelled example: " + ex.getMessage(), ex);
            }
        }
    }
}
