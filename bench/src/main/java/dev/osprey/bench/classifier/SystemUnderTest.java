package dev.osprey.bench.classifier;

/** A running app that reads a scenario's {@code images} and writes its {@code predictions}. */
interface SystemUnderTest extends AutoCloseable {

    /** The classifier's batch counters so far; all zero for an app that does not batch. */
    BatchCounters batches();

    /** Stops the app and frees what it holds; bounded. */
    @Override
    void close();

    /**
     * Cumulative batch counters, read from the classifier's own meters.
     *
     * @param batches         forward passes
     * @param images          images in them
     * @param inferenceNanos  time spent in {@code BatchClassifier.classify}: tensor fill, forward pass, top-k
     */
    record BatchCounters(long batches, double images, double inferenceNanos) {

        static final BatchCounters NONE = new BatchCounters(0, 0, 0);

        BatchCounters minus(BatchCounters earlier) {
            return new BatchCounters(batches - earlier.batches, images - earlier.images,
                    inferenceNanos - earlier.inferenceNanos);
        }

        double meanBatch() {
            return batches == 0 ? Double.NaN : images / batches;
        }
    }
}
