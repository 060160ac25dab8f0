package dev.osprey.trainer.run;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.feedback.HeldOut;
import dev.osprey.trainer.feedback.StoredExample;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The three datasets of one run, built from the base dataset and the feedback kept so far.
 *
 * <ul>
 *   <li>{@code train}: a fresh random draw of base train images plus the training share of the
 *       feedback, repeated to make up {@link RunSettings#feedbackShare()} of the mix;</li>
 *   <li>{@code validation}: a slice of the test split plus the validation share of the feedback;
 *       picks the best epoch;</li>
 *   <li>{@code gate}: the first images of the test split plus the gate share of the feedback;
 *       scores candidate and serving model.</li>
 * </ul>
 * Feedback whose pixels equal a held-out test image never trains (ingest streams the test split,
 * so the demo's feedback includes the gate's own images). Feedback of another size or colour is
 * converted as the classifier would; what cannot be converted, or has a label the model does not
 * know, is left out and counted.
 *
 * @param train      the training mix
 * @param validation picks the best epoch
 * @param gate       decides
 * @param counts     what went where, for logs, events and the manifest
 */
public record TrainingSets(Dataset train, Dataset validation, Dataset gate, Map<String, Object> counts) {

    public TrainingSets {
        counts = Map.copyOf(counts);
    }

    /**
     * Builds the sets of one run. {@code feedback} is a snapshot view of the store: its examples are
     * sorted into the three sets by reference, and each one's pixels are copied exactly once into
     * each final set (a training example once per repeat), never into an intermediate buffer.
     *
     * @param seed draws the base images; a different seed per run shows the model different images
     */
    public static TrainingSets assemble(BaseData base, List<StoredExample> feedback, GateSettings gate,
                                        RunSettings run, long seed) {
        Dataset like = base.train();
        Dataset test = base.test();
        int[] slices = testSlices(test.size(), gate);
        int gateN = slices[0];
        int valN = slices[1];
        Set<ByteBuffer> heldOutPixels = fingerprints(test, 0, gateN + valN);

        List<LabelledImage> trainFeedback = new ArrayList<>();
        List<LabelledImage> validationFeedback = new ArrayList<>();
        List<LabelledImage> gateFeedback = new ArrayList<>();
        int unusable = 0;
        int leaked = 0;
        for (StoredExample e : feedback) {
            int label = e.example().label();
            RawImage image = fit(e.example().image(), like);
            if (image == null || label >= like.classNames().size()) {
                unusable++;
                continue;
            }
            LabelledImage li = new LabelledImage(image.pixels(), label);
            switch (HeldOut.role(e.id(), gate.heldOutPercent())) {
                case VALIDATION -> validationFeedback.add(li);
                case GATE -> gateFeedback.add(li);
                case TRAIN -> {
                    if (heldOutPixels.contains(ByteBuffer.wrap(image.pixels()))) {
                        leaked++;
                    } else {
                        trainFeedback.add(li);
                    }
                }
            }
        }

        int[] baseIndices = draw(like, run.baseImages(), new Random(seed));
        int repeat = repeats(baseIndices.length, trainFeedback.size(), run.feedbackShare());
        Builder train = new Builder(like, baseIndices.length + repeat * trainFeedback.size());
        train.addAll(like, baseIndices);
        for (int r = 0; r < repeat; r++) {
            train.addAll(trainFeedback);
        }
        Builder validation = new Builder(like, Math.max(0, Math.min(valN, test.size() - gateN))
                + validationFeedback.size());
        validation.addRange(test, gateN, valN);
        validation.addAll(validationFeedback);
        Builder gateSet = new Builder(like, Math.min(gateN, test.size()) + gateFeedback.size());
        gateSet.addRange(test, 0, gateN);
        gateSet.addAll(gateFeedback);

        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("baseImages", baseIndices.length);
        counts.put("feedback", feedback.size());
        counts.put("feedbackTrain", trainFeedback.size());
        counts.put("feedbackRepeat", repeat);
        counts.put("feedbackValidation", validationFeedback.size());
        counts.put("feedbackGate", gateFeedback.size());
        counts.put("feedbackUnusable", unusable);
        counts.put("feedbackSameAsTestImage", leaked);
        counts.put("validationTestImages", valN);
        counts.put("gateTestImages", gateN);
        String name = like.name();
        return new TrainingSets(train.build(name + "+feedback"), validation.build(test.name() + "+feedback/validation"),
                gateSet.build(test.name() + "+feedback/gate"), counts);
    }

    /** A feedback image (the store's own pixels, not a copy) and its label. */
    private record LabelledImage(byte[] pixels, int label) {
    }

    /**
     * How many test images gate and validate: as configured when the split is big enough,
     * otherwise shared in the same proportion (a tiny test split in tests).
     */
    static int[] testSlices(int n, GateSettings gate) {
        int want = gate.testImages() + gate.validationImages();
        if (n >= want) {
            return new int[] {gate.testImages(), gate.validationImages()};
        }
        int gateN = Math.max(1, (int) ((long) n * gate.testImages() / want));
        return new int[] {gateN, Math.max(0, n - gateN)};
    }

    /** The number of times feedback is repeated so it makes up {@code share} of the mix, within [1, MAX_REPEAT]. */
    static int repeats(int baseImages, int feedbackImages, double share) {
        if (feedbackImages == 0) {
            return 0;
        }
        if (baseImages == 0 || share == 0) {
            return 1;
        }
        double wanted = share * baseImages / ((1 - share) * feedbackImages);
        return (int) Math.max(1, Math.min(RunSettings.MAX_REPEAT, Math.ceil(wanted)));
    }

    private static Set<ByteBuffer> fingerprints(Dataset d, int from, int count) {
        Set<ByteBuffer> set = new HashSet<>();
        int n = d.imageBytes();
        for (int i = from; i < from + count && i < d.size(); i++) {
            set.add(ByteBuffer.wrap(d.pixels(), i * n, n).slice());
        }
        return set;
    }

    /**
     * The example's image in the dataset's shape, or null if it cannot be made to fit. The store keeps
     * examples at the model's input already, so this converts only what came from elsewhere.
     */
    private static RawImage fit(RawImage image, Dataset like) {
        try {
            return FeedbackStore.fit(image, like.inputSpec());
        } catch (ImageRejectedException | IllegalArgumentException e) {
            return null;
        }
    }

    private static int[] draw(Dataset train, int count, Random random) {
        List<Integer> labelled = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            if (train.label(i) >= 0) {
                labelled.add(i);
            }
        }
        int k = Math.min(count, labelled.size());
        // Partial Fisher-Yates: the first k of a random permutation.
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(labelled.size() - i);
            Integer t = labelled.get(i);
            labelled.set(i, labelled.get(j));
            labelled.set(j, t);
        }
        return labelled.subList(0, k).stream().mapToInt(Integer::intValue).toArray();
    }

    /** Collects images of one shape and their labels into arrays of the final size: one copy each. */
    private static final class Builder {

        private final Dataset like;
        private final int imageBytes;
        private final byte[] pixels;
        private final int[] labels;
        private int size;

        Builder(Dataset like, int capacity) {
            this.like = like;
            this.imageBytes = like.imageBytes();
            this.pixels = new byte[Math.multiplyExact(capacity, imageBytes)];
            this.labels = new int[capacity];
        }

        private void add(byte[] px, int offset, int label) {
            System.arraycopy(px, offset, pixels, size * imageBytes, imageBytes);
            labels[size++] = label;
        }

        void addAll(Dataset d, int[] indices) {
            for (int i : indices) {
                add(d.pixels(), i * imageBytes, d.label(i));
            }
        }

        void addRange(Dataset d, int from, int count) {
            for (int i = from; i < from + count && i < d.size(); i++) {
                add(d.pixels(), i * imageBytes, d.label(i));
            }
        }

        void addAll(List<LabelledImage> images) {
            for (LabelledImage li : images) {
                add(li.pixels(), 0, li.label());
            }
        }

        Dataset build(String name) {
            byte[] px = size == labels.length ? pixels : Arrays.copyOf(pixels, size * imageBytes);
            int[] lb = size == labels.length ? labels : Arrays.copyOf(labels, size);
            return new Dataset(name, like.width(), like.height(), like.channels(), px, lb, like.classNames());
        }
    }
}
