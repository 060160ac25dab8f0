package dev.osprey.ingest.source;

import java.util.List;

/** A fixed set of images that ingest publishes, by index. */
public interface ImageSource {

    /** A short name for logs, e.g. {@code fashion-mnist/test}. */
    String name();

    /** The number of distinct images, at least 1. */
    int size();

    /** Image {@code index}, in {@code [0, size())}, ready to publish. */
    SourceImage image(int index);

    /**
     * The files of the source that could not be read and are left out, one line each
     * ({@code <file>: <reason>}); empty for sources that are read whole or not at all.
     */
    default List<String> skipped() {
        return List.of();
    }
}
