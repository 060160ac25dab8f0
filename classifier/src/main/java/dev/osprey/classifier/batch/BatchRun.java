package dev.osprey.classifier.batch;

import dev.osprey.classifier.deadletter.DeadLetterRecord;
import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.LabelRequest;
import dev.osprey.core.format.PredictionWriter;
import dev.osprey.core.format.ShadowPrediction;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One batch's work that needs no Kafka Streams state, so that it can run on an inference worker:
 * the forward pass (split on failure, {@link IsolatingClassifier}), then every output record's
 * bytes (prediction JSON, dead letters) in input order, and what the metrics need. The stream
 * thread then only forwards the outputs and moves the flush pointer ({@link Finished}).
 */
final class BatchRun implements Callable<BatchRun.Finished> {

    private static final int TOP_K = 3;
    /** One writer per thread that runs batches: it reuses its buffer. */
    private static final ThreadLocal<PredictionWriter> WRITER = ThreadLocal.withInitial(PredictionWriter::new);

    /** Where an output record goes. */
    enum Sink {
        PREDICTION, DEAD_LETTER, SHADOW, LABEL_REQUEST
    }

    /** An output record; {@code deadLetter} is the reason of a {@link Sink#DEAD_LETTER}, else null. */
    record Output(Sink sink, String key, byte[] value, long timestamp, Headers headers, RejectReason deadLetter) {

        static Output of(Sink sink, String key, byte[] value, long timestamp) {
            return new Output(sink, key, value, timestamp, new RecordHeaders(), null);
        }
    }

    /** Predictions made by one model version, with their end-to-end latencies. */
    record Segment(ModelManifest model, int count, long[] latenciesMs) {
    }

    /**
     * A classified batch, ready to forward.
     *
     * @param outputs        one per image, in input order
     * @param segments       predictions per model version (two when a swap fell between halves of a split batch)
     * @param size           images in the batch
     * @param queuedMs       how long its oldest image waited for the forward pass
     * @param inferenceNanos the forward pass(es)
     * @param nextPointer    the flush pointer once it is forwarded: its last offset + 1
     */
    record Finished(List<Output> outputs, List<Segment> segments, int size, long queuedMs, long inferenceNanos,
                    long nextPointer) {
    }

    private static final JsonSerde<ShadowPrediction> SHADOW = ShadowPrediction.serde();
    private static final JsonSerde<LabelRequest> REQUESTS = LabelRequest.serde();

    private final List<PendingImage> batch;
    private final IsolatingClassifier classifier;
    private final LabelRequestQuota quota;
    private final LongSupplier clock;
    private final String topic;
    private final int partition;

    /**
     * @param clock wall-clock milliseconds: the processor context's when inline (tests drive it), the
     *              system's on a worker
     * @param quota which predictions become label requests; null for none (the warm-up)
     */
    BatchRun(List<PendingImage> batch, IsolatingClassifier classifier, LabelRequestQuota quota, LongSupplier clock,
             String topic, int partition) {
        this.batch = batch;
        this.classifier = classifier;
        this.quota = quota;
        this.clock = clock;
        this.topic = topic;
        this.partition = partition;
    }

    @Override
    public Finished call() {
        long queuedMs = clock.getAsLong() - batch.get(0).arrivedMs();
        long started = System.nanoTime();
        IsolatingClassifier.Result result = classifier.classify(batch);
        long inferenceNanos = System.nanoTime() - started;
        long classifiedAt = clock.getAsLong();
        Outcome[] outcomes = result.outcomes();
        ModelManifest[] models = result.models();
        PredictionWriter writer = WRITER.get();
        double[] scores = new double[TOP_K];
        List<Output> outputs = new ArrayList<>(batch.size());
        List<Segment> segments = new ArrayList<>(1);
        long[] latencies = new long[batch.size()];
        int predicted = 0;
        ModelManifest counted = null;
        int[] classifiedRows = new int[batch.size()];
        double[] margins = new double[batch.size()];
        int classified = 0;
        for (int i = 0; i < batch.size(); i++) {
            PendingImage p = batch.get(i);
            if (outcomes[i] instanceof Outcome.Classified c) {
                if (counted != null && counted != models[i]) {
                    segments.add(new Segment(counted, predicted, latencies));
                    latencies = new long[batch.size()];
                    predicted = 0;
                }
                counted = models[i];
                latencies[predicted++] = classifiedAt - p.timestamp();
                outputs.add(Output.of(Sink.PREDICTION, p.id(), prediction(writer, scores, p, c, models[i],
                        classifiedAt), p.timestamp()));
                margins[classified] = margin(c);
                classifiedRows[classified++] = i;
                if (result.shadow()[i] instanceof Outcome.Classified s) {
                    outputs.add(Output.of(Sink.SHADOW, p.id(), SHADOW.toBytes(new ShadowPrediction(p.id(),
                            models[i].name(), models[i].version(), c.topClasses()[0],
                            result.challengers()[i].version(), s.topClasses()[0], round(s.topScores()[0]),
                            classifiedAt)), p.timestamp()));
                }
            } else if (outcomes[i] instanceof Outcome.Rejected r) {
                // Decoded but not fed to the model (e.g. it cannot be resized to its input): found only
                // now, so the dead letter is made here, with the headers the exception handler writes.
                DeadLetterRecord dead = DeadLetterRecord.of(p.id(), p.value(), p.headers(), r.reason(), r.message(),
                        topic, partition, p.offset());
                outputs.add(new Output(Sink.DEAD_LETTER, p.id(), dead.value(), p.timestamp(), dead.headers(),
                        r.reason()));
            }
        }
        if (quota != null && classified > 0) {
            requests(outputs, outcomes, models, margins, classifiedRows, classified, classifiedAt);
        }
        if (counted != null) {
            segments.add(new Segment(counted, predicted, latencies));
        }
        return new Finished(outputs, segments, batch.size(), queuedMs, inferenceNanos,
                batch.get(batch.size() - 1).offset() + 1);
    }

    /**
     * Label requests for the least confident of this batch's predictions, as many as the quota
     * allows; {@code margins} and {@code rows} hold the {@code classified} images in input order.
     */
    private void requests(List<Output> outputs, Outcome[] outcomes, ModelManifest[] models, double[] margins,
                          int[] rows, int classified, long now) {
        for (int j : quota.choose(margins, classified, now)) {
            PendingImage p = batch.get(rows[j]);
            Outcome.Classified c = (Outcome.Classified) outcomes[rows[j]];
            ModelManifest m = models[rows[j]];
            outputs.add(Output.of(Sink.LABEL_REQUEST, p.id(), REQUESTS.toBytes(new LabelRequest(p.id(), m.name(),
                    m.version(), c.topClasses()[0], round(c.topScores()[0]), round(margins[j]), p.timestamp(),
                    now)), p.timestamp()));
        }
    }

    /** Best class's probability minus the second best's (1 for a one-class model). */
    static double margin(Outcome.Classified c) {
        float[] s = c.topScores();
        return s.length < 2 ? 1.0 : s[0] - s[1];
    }

    private static double round(double p) {
        return Math.round(p * 1e5) / 1e5;
    }

    private static byte[] prediction(PredictionWriter writer, double[] scores, PendingImage p, Outcome.Classified c,
                                     ModelManifest model, long classifiedAt) {
        int k = Math.min(TOP_K, c.topClasses().length);
        for (int j = 0; j < k; j++) {
            scores[j] = Math.round(c.topScores()[j] * 1e5) / 1e5;
        }
        return writer.write(p.id(), model.classes(), c.topClasses(), scores, k, model.name(), model.version(),
                p.truth(), p.timestamp(), classifiedAt);
    }
}
