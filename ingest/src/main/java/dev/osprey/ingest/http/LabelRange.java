package dev.osprey.ingest.http;

/**
 * The class indices a label may take: {@code [0, classes)} once the number of classes of the
 * model is known, any index {@code >= 0} until then. A label outside the model's classes would
 * reach {@code feedback} only to be dropped by the trainer as unusable, so it is refused at the
 * door, with the range in the answer.
 */
final class LabelRange {

    /** 0 while unknown. */
    private volatile int classes;

    /** The model has {@code count} classes (indices 0 to count - 1). */
    void classes(int count) {
        if (count < 2) {
            throw new IllegalArgumentException("a model has at least 2 classes, not " + count);
        }
        classes = count;
    }

    /** @throws ApiError 400 naming the valid range when {@code label} is not one of the classes */
    int check(int label) {
        int n = classes;
        if (n > 0 && label >= n) {
            throw ApiError.badRequest("label " + label + " is not a class of the model: it has " + n
                    + " classes, labels 0 to " + (n - 1));
        }
        return label;
    }
}
