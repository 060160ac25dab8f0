package dev.osprey.ingest.source;

/** A fixed set of images that ingest publishes, by index. */
public interface ImageSource {

    /** A short name for logs, e.g. {@code fashion-mnist/test}. */
    String name();

    /** The number of distinct images, at least 1. */
    int size();

    /** Image {@code index}, in {@code [0, size())}, ready to publish. */
    SourceImage image(int index);
}
