package dev.osprey.ingest.source;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The images of an in-memory {@link Dataset}, as raw pixels or PNG. Ids are
 * {@code <split>-<index>}, zero-padded to five digits ({@code test-00042}).
 */
public final class DatasetSource implements ImageSource {

    private final Dataset dataset;
    private final String split;
    private final boolean png;
    /** Headers shared by every image of the dataset (content type and dimensions). */
    private final Header[] common;
    /** One immutable label header per class, so a record does not build its own. */
    private final Header[] labelHeaders;
    private final List<String> skipped;

    /**
     * @param png true for PNG values, false for raw pixels
     */
    public DatasetSource(Dataset dataset, Split split, boolean png) {
        this(dataset, split, png, List.of());
    }

    /**
     * @param png     true for PNG values, false for raw pixels
     * @param skipped the files left out of the dataset because they could not be read, one line each
     */
    public DatasetSource(Dataset dataset, Split split, boolean png, List<String> skipped) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        this.skipped = List.copyOf(skipped);
        if (dataset.size() == 0) {
            throw new IllegalArgumentException("dataset " + dataset.name() + " has no images");
        }
        this.split = split.id();
        this.png = png;
        this.common = png
                ? new Header[] {header(ImageHeaders.CONTENT_TYPE, ImageHeaders.PNG)}
                : new Header[] {
                    header(ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW),
                    header(ImageHeaders.WIDTH, Integer.toString(dataset.width())),
                    header(ImageHeaders.HEIGHT, Integer.toString(dataset.height())),
                    header(ImageHeaders.CHANNELS, Integer.toString(dataset.channels()))};
        int classes = Math.max(dataset.classNames().size(), Arrays.stream(dataset.labels()).max().orElse(-1) + 1);
        this.labelHeaders = new Header[classes];
        for (int c = 0; c < classes; c++) {
            labelHeaders[c] = header(ImageHeaders.LABEL, Integer.toString(c));
        }
    }

    @Override
    public String name() {
        return dataset.name();
    }

    @Override
    public int size() {
        return dataset.size();
    }

    @Override
    public List<String> skipped() {
        return skipped;
    }

    @Override
    public SourceImage image(int index) {
        byte[] value;
        if (png) {
            value = ImageEncoder.png(dataset.image(index));
        } else {
            int n = dataset.imageBytes();
            value = Arrays.copyOfRange(dataset.pixels(), index * n, (index + 1) * n);
        }
        int label = dataset.label(index);
        boolean labelled = label >= 0 && label < labelHeaders.length;
        Header[] headers = Arrays.copyOf(common, common.length + (labelled ? 2 : 1));
        headers[common.length] = header(ImageHeaders.SOURCE, dataset.name() + "#" + index);
        if (labelled) {
            headers[common.length + 1] = labelHeaders[label];
        }
        return new SourceImage(idStem(index), value, headers, labelled ? label : -1);
    }

    private String idStem(int index) {
        String digits = Integer.toString(index);
        StringBuilder id = new StringBuilder(split.length() + 7).append(split).append('-');
        for (int i = digits.length(); i < 5; i++) {
            id.append('0');
        }
        return id.append(digits).toString();
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
