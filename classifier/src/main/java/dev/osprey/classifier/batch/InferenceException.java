package dev.osprey.classifier.batch;

/**
 * The forward pass failed on a batch of images. Unlike other failures of a
 * {@link BatchClassifier} (no model loaded yet, the JVM out of memory) this one may be caused by
 * some of the images, so the caller splits the batch and tries the halves, isolating the images
 * the model cannot process.
 */
public final class InferenceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
