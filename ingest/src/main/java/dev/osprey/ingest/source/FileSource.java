package dev.osprey.ingest.source;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.ingest.ImageEncoding;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * One encoded image (a file, or stdin). By default its bytes are published as they are, with the
 * content type their signature shows; it can also be converted to raw pixels or PNG.
 */
public final class FileSource implements ImageSource {

    private static final Pattern UNSAFE_ID = Pattern.compile("[^\\p{Alnum}._-]");

    private final String name;
    private final SourceImage image;

    private FileSource(String name, SourceImage image) {
        this.name = name;
        this.image = image;
    }

    /**
     * Checks that {@code bytes} are a PNG, JPEG or BMP image and prepares it.
     *
     * @param name     the file name (or {@code stdin}); becomes the image id and {@code source}
     * @throws ImageRejectedException when the bytes are not a readable image
     */
    public static FileSource of(String name, byte[] bytes, ImageEncoding encoding) throws ImageRejectedException {
        RawImage decoded = ImageDecoder.decodeEncoded(bytes);
        byte[] value;
        Header[] headers;
        Header source = header(ImageHeaders.SOURCE, name);
        switch (encoding) {
            case RAW -> {
                value = decoded.pixels();
                headers = new Header[] {
                    header(ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW),
                    header(ImageHeaders.WIDTH, Integer.toString(decoded.width())),
                    header(ImageHeaders.HEIGHT, Integer.toString(decoded.height())),
                    header(ImageHeaders.CHANNELS, Integer.toString(decoded.channels())), source};
            }
            case PNG -> {
                value = ImageHeaders.PNG.equals(contentType(bytes)) ? bytes : ImageEncoder.png(decoded);
                headers = new Header[] {header(ImageHeaders.CONTENT_TYPE, ImageHeaders.PNG), source};
            }
            default -> {
                value = bytes;
                headers = new Header[] {header(ImageHeaders.CONTENT_TYPE, contentType(bytes)), source};
            }
        }
        String id = UNSAFE_ID.matcher(fileName(name)).replaceAll("_");
        return new FileSource(name, new SourceImage(id, value, headers, -1));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return 1;
    }

    @Override
    public SourceImage image(int index) {
        if (index != 0) {
            throw new IndexOutOfBoundsException("a single-image source has only image 0, not " + index);
        }
        return image;
    }

    /** The content type of an encoded image; decodeEncoded has checked that it has a signature. */
    private static String contentType(byte[] bytes) {
        return ImageSignature.contentType(bytes).orElse(ImageHeaders.BMP);
    }

    private static String fileName(String name) {
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        return name.substring(slash + 1);
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
