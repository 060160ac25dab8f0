package dev.osprey.trainer.run;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.ImageTransforms;
import dev.osprey.core.image.RawImage;
import dev.osprey.trainer.feedback.HeldOut;
import dev.osprey.trainer.feedback.StoredExample;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
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
     * Builds the sets of one run.
     *
     * @param seed draws the base images; a different seed per run shows the model different images
     */
    public static TrainingSets assemble(BaseData base, List<StoredExample> feedback, GateSettings gate,
                                        RunSettings run, long seed) {
        Dataset test = base.test();
        int[] slices = testSlices(test.size(), gate);
        int gateN = slices[0];
        int valN = slices[1];
        Set<ByteBuffer> heldOutPixels = fingerprints(test, 0, gateN + valN);

        Builder trainFeedback = new Builder(base.train());
        Builder validationFeedback = new Builder(base.train());
        Builder gateFeedback = new Builder(base.train());
        int unusable = 0;
        int leaked = 0;
        for (StoredExample e : feedback) {
            int label = e.example().label();
            RawImage image = fit(e.example().image(), base.train());
            if (image == null || label >= base.train().classNames().size()) {
                unusable++;
                continue;
            }
            switch (HeldOut.role(e.id(), gate.heldOutPercent())) {
                case VALIDATION -> validationFeedback.add(image.pixels(), label);
                case GATE -> gateFeedback.add(image.pixels(), label);
                case TRAIN -> {
                    if (heldOutPixels.contains(ByteBuffer.wrap(image.pixels()))) {
                        leaked++;
                    } else {
                        trainFeedback.add(image.pixels(), label);
                    }
                }
            }
        }

        int[] baseIndices = draw(base.train(), run.baseImages(), new Random(seed));
        int repeat = repeats(baseIndices.length, trainFeedback.size(), run.feedbackShare());
        Builder train = new Builder(base.train());
        train.addAll(base.train().select(baseIndices));
        for (int r = 0; r < repeat; r++) {
            train.addAll(trainFeedback);
        }
        Builder validation = new Builder(base.train());
        validation.addAll(slice(test, gateN, valN));
        validation.addAll(validationFeedback);
        Builder gateSet = new Builder(base.train());
        gateSet.addAll(slice(test, 0, gateN));
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
        String name = base.train().name();
        return new TrainingSets(train.build(name + "+feedback"), validation.build(test.name() + "+feedback/validation"),
                gateSet.build(test.name() + "+feedback/gate"), counts);
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

    /** The example's image in the dataset's shape, or null if it cannot be made to fit. */
    private static RawImage fit(RawImage image, Dataset like) {
        try {
            RawImage out = image;
            if (out.channels() != like.channels()) {
                out = ImageTransforms.withChannels(out, like.channels());
            }
            if (out.width() != like.width() || out.height() != like.height()) {
                ImageTransforms.checkResizable(out.width(), out.height(), like.width(), like.height());
                out = ImageTransforms.resize(out, like.width(), like.height());
            }
            return out;
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

    private static Dataset slice(Dataset d, int from, int count) {
        int[] idx = new int[Math.max(0, Math.min(count, d.size() - from))];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return d.select(idx);
    }

    /** Collects images of one shape and their labels into a {@link Dataset}. */
    private static final class Builder {

        private final Dataset like;
        private final ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        private final List<Integer> labels = new ArrayList<>();

        Builder(Dataset like) {
            this.like = like;
        }

        void add(byte[] px, int label) {
            pixels.writeBytes(px);
            labels.add(label);
        }

        void addAll(Dataset d) {
            pixels.writeBytes(d.pixels());
            for (int l : d.labels()) {
                labels.add(l);
            }
        }

        void addAll(Builder other) {
            pixels.writeBytes(other.pixels.toByteArray());
            labels.addAll(other.labels);
        }

        int size() {
            return labels.size();
        }

        Dataset build(String name) {
            return new Dataset(name, like.width(), like.height(), like.channels(), pixels.toByteArray(),
                    labels.stream().mapToInt(Integer::intValue).toArray(), like.classNames());
        }
    }
}
