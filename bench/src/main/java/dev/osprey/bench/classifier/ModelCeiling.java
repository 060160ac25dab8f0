package dev.osprey.bench.classifier;

import ai.djl.Model;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.model.DjlBatchClassifier;
import dev.osprey.classifier.model.ModelHolder;
import dev.osprey.classifier.model.ServingModel;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.ModelInput;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * The classifier's per-image work without Kafka, on the calling thread: {@link DjlBatchClassifier}
 * (tensor fill, forward pass, softmax, top-k) at several batch sizes, and the prediction's JSON
 * encoding. These are ceilings: the stream thread cannot classify faster than the first, nor
 * write predictions faster than the second allows, whatever Kafka costs on top.
 */
final class ModelCeiling {

    private static final int[] BATCHES = {1, 32, 256};

    /** Rounds per measurement: the machine is shared, so the best round approximates the uncontended cost. */
    private static final int ROUNDS = 7;

    /**
     * One measurement over {@value #ROUNDS} rounds: items per second and µs per call in the best
     * round (the least disturbed by other processes) and the median round.
     */
    record Result(String what, double perSecond, double micros, double medianPerSecond, double medianMicros) {
    }

    private ModelCeiling() {
    }

    /** Times {@code classify} of {@code model} at each batch size for {@code each} (after a warm-up as long). */
    static List<Result> classify(String name, ModelArtifact model, Dataset images, Duration each)
            throws InvalidArtifactException {
        List<Result> results = new ArrayList<>();
        Model djl = model.newModel(Engine.getEngine(ModelArtifact.ENGINE).defaultDevice());
        try (ModelHolder holder = new ModelHolder()) {
            holder.swap(new ServingModel(model.manifest(), djl));
            DjlBatchClassifier classifier = new DjlBatchClassifier(holder);
            for (int batch : BATCHES) {
                List<List<RawImage>> batches = batches(images, batch);
                double[] callsPerSecond = time(each, k -> {
                    BatchResult r = classifier.classify(batches.get(k & 15));
                    if (r.outcomes().size() != batch) {
                        throw new IllegalStateException("classify returned " + r.outcomes().size() + " outcomes");
                    }
                });
                results.add(result(name + " classify() of a batch of " + batch, callsPerSecond, batch));
            }
            // The same batch with a challenger in shadow: a second forward pass over the same input.
            holder.challenge(new ServingModel(model.manifest().withVersion(model.manifest().name(),
                    model.manifest().version() + 1, model.manifest().version()),
                    model.newModel(Engine.getEngine(ModelArtifact.ENGINE).defaultDevice())));
            int batch = BATCHES[BATCHES.length - 1];
            List<List<RawImage>> batches = batches(images, batch);
            double[] callsPerSecond = time(each, k -> {
                BatchResult r = classifier.classify(batches.get(k & 15));
                if (r.challengerOutcomes() == null) {
                    throw new IllegalStateException("the challenger did not score the batch");
                }
            });
            results.add(result(name + " classify() of a batch of " + batch + " with a challenger in shadow",
                    callsPerSecond, batch));
        }
        return results;
    }

    /** 16 batches of {@code batch} images, cycling through {@code images}. */
    private static List<List<RawImage>> batches(Dataset images, int batch) {
        List<List<RawImage>> batches = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            List<RawImage> list = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                list.add(images.image((b * batch + i) % images.size()));
            }
            batches.add(list);
        }
        return batches;
    }

    /**
     * Times the per-image Java work around the forward pass: {@link ImageDecoder#decode} of a raw
     * record (what {@code process()} does per image) and {@link ModelInput#fill} of a batch (the
     * first step of {@code classify()}), so the forward pass's share of {@code classify()} follows.
     */
    static List<Result> perImage(ModelArtifact model, ImagePayloads payloads, Duration each) {
        List<Result> results = new ArrayList<>();
        results.add(result("ImageDecoder.decode of a raw record with headers", time(each, k -> {
            try {
                ImageDecoder.decode(payloads.value(k), payloads.headers(k));
            } catch (ImageRejectedException e) {
                throw new IllegalStateException(e);
            }
        }), 1));
        InputSpec spec = model.manifest().input();
        int batch = 256;
        float[] dest = new float[batch * spec.size()];
        List<RawImage> images = new ArrayList<>();
        for (int i = 0; i < batch * 16; i++) {
            images.add(new RawImage(spec.width(), spec.height(), spec.channels(), payloads.value(i)));
        }
        results.add(result("ModelInput.fill of a batch of " + batch, time(each, k -> {
            int from = (k & 15) * batch;
            try {
                for (int i = 0; i < batch; i++) {
                    ModelInput.fill(images.get(from + i), spec, model.manifest().normalization(), dest,
                            i * spec.size());
                }
            } catch (ImageRejectedException e) {
                throw new IllegalStateException(e);
            }
        }), batch));
        return results;
    }

    /**
     * Times the prediction's JSON encoding as the classifier does it ({@code Prediction.serde()}), and
     * with Jackson's Schubfach double writer, on predictions shaped like real ones.
     */
    static List<Result> json(Duration each) throws IOException {
        Random random = new Random(42);
        List<Prediction> samples = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            double p1 = round(0.5 + 0.5 * random.nextDouble());
            double p2 = round((1 - p1) * random.nextDouble());
            double p3 = round((1 - p1 - p2) * random.nextDouble());
            long ingest = 1_790_000_000_000L + random.nextInt(1_000_000);
            samples.add(new Prediction("r05-" + (100_000 + i), 3, "Dress", p1, List.of(
                    new Prediction.Scored(3, "Dress", p1), new Prediction.Scored(6, "Shirt", p2),
                    new Prediction.Scored(0, "T-shirt/top", p3)), "mlp", 1, 3, ingest, ingest + 35, 35));
        }
        ObjectWriter plain = Json.mapper().writerFor(Prediction.class);
        ObjectWriter fast = plain.with(StreamWriteFeature.USE_FAST_DOUBLE_WRITER);
        List<Result> results = new ArrayList<>();
        JsonSerde<Prediction> serde = Prediction.serde();
        results.add(jsonResult("Prediction JSON, as the classifier writes it", each,
                k -> serde.toBytes(samples.get(k & 1023))));
        results.add(jsonResult("Prediction JSON, USE_FAST_DOUBLE_WRITER", each, k -> {
            try {
                fast.writeValueAsBytes(samples.get(k & 1023));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }));
        return results;
    }

    private static Result jsonResult(String what, Duration each, IntConsumer op) {
        return result(what, time(each, op), 1);
    }

    /** Best and median of the rounds' calls per second; {@code items} per call. */
    private static Result result(String what, double[] callsPerSecond, int items) {
        double[] sorted = callsPerSecond.clone();
        Arrays.sort(sorted);
        double best = sorted[sorted.length - 1];
        double median = sorted[sorted.length / 2];
        return new Result(what, best * items, 1e6 / best, median * items, 1e6 / median);
    }

    /**
     * Calls per second of {@code op} in each of {@value #ROUNDS} rounds sharing {@code each}, after a
     * warm-up as long. A round runs at least one call, so a slow op still gets measured.
     */
    private static double[] time(Duration each, IntConsumer op) {
        int k = 0;
        long warm = System.nanoTime() + each.toNanos();
        while (System.nanoTime() < warm) {
            op.accept(k++);
        }
        double[] rates = new double[ROUNDS];
        long roundNanos = each.toNanos() / ROUNDS;
        for (int r = 0; r < ROUNDS; r++) {
            long start = System.nanoTime();
            long end = start + roundNanos;
            int calls = 0;
            long now;
            do {
                op.accept(k++);
                calls++;
                now = System.nanoTime();
            } while (now < end);
            rates[r] = calls / ((now - start) / 1e9);
        }
        return rates;
    }

    private static double round(double p) {
        return Math.round(p * 1e5) / 1e5;
    }

    /** The results as a markdown table. */
    static String markdown(List<Result> results) {
        StringBuilder b = new StringBuilder("| work on one thread, no Kafka | best round: items/s | µs per call "
                + "| median round: items/s | µs per call |\n| --- | ---: | ---: | ---: | ---: |\n");
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.1f | %,.0f | %,.1f |%n", r.what(), r.perSecond(),
                    r.micros(), r.medianPerSecond(), r.medianMicros()));
        }
        return b.toString();
    }
}
