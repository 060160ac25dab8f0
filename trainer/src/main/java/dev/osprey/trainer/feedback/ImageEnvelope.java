package dev.osprey.trainer.feedback;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * An image record as it arrived, undecoded: its value and the headers {@link ImageDecoder} reads.
 * A join's value joiner sees values only, never headers, so the headers travel inside the value;
 * decoding waits until an image actually joins a correction, since most images never do.
 *
 * @param contentType the {@code content-type} header, or null
 * @param width       the {@code width} header, or null
 * @param height      the {@code height} header, or null
 * @param channels    the {@code channels} header, or null
 * @param value       the record value
 */
public record ImageEnvelope(String contentType, String width, String height, String channels, byte[] value) {

    private static final byte FORMAT = 1;

    public ImageEnvelope {
        Objects.requireNonNull(value, "value");
    }

    /** The envelope of a record with {@code value} and {@code headers}. */
    public static ImageEnvelope of(byte[] value, Headers headers) {
        return new ImageEnvelope(ImageHeaders.text(headers, ImageHeaders.CONTENT_TYPE).orElse(null),
                ImageHeaders.text(headers, ImageHeaders.WIDTH).orElse(null),
                ImageHeaders.text(headers, ImageHeaders.HEIGHT).orElse(null),
                ImageHeaders.text(headers, ImageHeaders.CHANNELS).orElse(null), value);
    }

    /** Decodes the image exactly as the classifier would have. */
    public RawImage decode() throws ImageRejectedException {
        Headers headers = new RecordHeaders();
        putIfPresent(headers, ImageHeaders.CONTENT_TYPE, contentType);
        putIfPresent(headers, ImageHeaders.WIDTH, width);
        putIfPresent(headers, ImageHeaders.HEIGHT, height);
        putIfPresent(headers, ImageHeaders.CHANNELS, channels);
        return ImageDecoder.decode(value, headers);
    }

    private static void putIfPresent(Headers headers, String key, String v) {
        if (v != null) {
            ImageHeaders.put(headers, key, v);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageEnvelope e && Objects.equals(contentType, e.contentType)
                && Objects.equals(width, e.width) && Objects.equals(height, e.height)
                && Objects.equals(channels, e.channels) && Arrays.equals(value, e.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(contentType, width, height, channels) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "ImageEnvelope[" + contentType + ", " + value.length + " bytes]";
    }

    /** The binary serde of the join's window store. */
    public static Serde<ImageEnvelope> serde() {
        return new EnvelopeSerde();
    }

    private static final class EnvelopeSerde implements Serde<ImageEnvelope> {

        @Override
        public Serializer<ImageEnvelope> serializer() {
            return (topic, e) -> e == null ? null : write(e);
        }

        @Override
        public Deserializer<ImageEnvelope> deserializer() {
            return (topic, bytes) -> bytes == null ? null : read(bytes);
        }

        private static byte[] write(ImageEnvelope e) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(e.value.length + 64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(FORMAT);
                writeNullable(out, e.contentType);
                writeNullable(out, e.width);
                writeNullable(out, e.height);
                writeNullable(out, e.channels);
                out.writeInt(e.value.length);
                out.write(e.value);
            } catch (IOException ex) {
                throw new SerializationException("cannot write an image envelope", ex);
            }
            return bytes.toByteArray();
        }

        private static ImageEnvelope read(byte[] bytes) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                byte format = in.readByte();
                if (format != FORMAT) {
                    throw new SerializationException("unknown image envelope format " + format);
                }
                String contentType = readNullable(in);
                String width = readNullable(in);
                String height = readNullable(in);
                String channels = readNullable(in);
                int n = in.readInt();
                if (n < 0 || n > bytes.length) {
                    throw new SerializationException("image envelope claims " + n + " value bytes in "
                            + bytes.length);
                }
                return new ImageEnvelope(contentType, width, height, channels, in.readNBytes(n));
            } catch (IOException ex) {
                throw new SerializationException("cannot read an image envelope", ex);
            }
        }

        private static void writeNullable(DataOutputStream out, String s) throws IOException {
            out.writeBoolean(s != null);
            if (s != null) {
                out.writeUTF(s);
            }
        }

        private static String readNullable(DataInputStream in) throws IOException {
            return in.readBoolean() ? in.readUTF() : null;
        }
    }
}
