package dev.osprey.classifier.batch;

import dev.osprey.core.image.RawImage;
import java.util.List;

/**
 * Runs a batch of images through the serving model in one forward pass.
 *
 * <p>Called from stream threads; implementations must be safe for concurrent calls from
 * different threads (each thread may use its own predictor).
 */
public interface BatchClassifier {

    /** Classifies {@code images}; the result holds one outcome per image, in the same order. */
    BatchResult classify(List<RawImage> images);
}
