package dev.osprey.classifier.batch;

import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classifies a batch so that images the forward pass fails on cannot take the others with them:
 * when a pass throws an {@link InferenceException}, each half is classified on its own, until the
 * images that fail alone are found; they become {@code inference-failed}. A batch of n images with
 * one such image costs about 2 log2(n) extra passes. Uses no Kafka Streams state, so it can run on
 * any thread.
 */
final class IsolatingClassifier {

    private static final Logger LOG = LoggerFactory.getLogger(IsolatingClassifier.class);

    /**
     * One outcome per image of the batch, and the model that made it (null for none); and the
     * challenger's outcome and version where one ran in shadow on that image's pass (else null).
     */
    record Result(Outcome[] outcomes, ModelManifest[] models, Outcome[] shadow, ModelManifest[] challengers) {

        Result(int n) {
            this(new Outcome[n], new ModelManifest[n], new Outcome[n], new ModelManifest[n]);
        }
    }

    private final BatchClassifier classifier;
    private final String source;

    /** @param source the input partition, for log lines ({@code images-3}) */
    IsolatingClassifier(BatchClassifier classifier, String source) {
        this.classifier = classifier;
        this.source = source;
    }

    Result classify(List<PendingImage> batch) {
        List<RawImage> images = new ArrayList<>(batch.size());
        for (PendingImage p : batch) {
            images.add(p.image());
        }
        Result result = new Result(images.size());
        classify(batch, images, 0, images.size(), result);
        return result;
    }

    private void classify(List<PendingImage> batch, List<RawImage> images, int from, int to, Result result) {
        try {
            BatchResult pass = classifier.classify(images.subList(from, to));
            for (int i = from; i < to; i++) {
                result.outcomes()[i] = pass.outcomes().get(i - from);
                result.models()[i] = pass.model();
                if (pass.challenger() != null) {
                    result.shadow()[i] = pass.challengerOutcomes().get(i - from);
                    result.challengers()[i] = pass.challenger();
                }
            }
        } catch (InferenceException e) {
            if (to - from == 1) {
                LOG.warn("{}@{}: the forward pass fails on this image alone; dead-lettering it: {}",
                        source, batch.get(from).offset(), e.getMessage());
                result.outcomes()[from] = new Outcome.Rejected(RejectReason.INFERENCE_FAILED,
                        "the model's forward pass failed on this image: " + rootMessage(e));
                return;
            }
            LOG.debug("{}: forward pass failed on {} images; splitting the batch", source, to - from);
            int mid = (from + to) >>> 1;
            classify(batch, images, from, mid, result);
            classify(batch, images, mid, to, result);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
