package dev.osprey.classifier.batch;

import dev.osprey.classifier.deadletter.DeadLetterRecord;
import dev.osprey.core.format.PredictionWriter;
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

    /** An output record: a prediction, or a dead letter when {@code deadLetter} is set. */
    record Output(String key, byte[] value, long timestamp, Headers headers, RejectReason deadLetter) {
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

    private final List<PendingImage> batch;
    private final IsolatingClassifier classifier;
    private final LongSupplier clock;
    private final String topic;
    private final int partition;

    /**
     * @param clock wall-clock milliseconds: the processor context's when inline (tests drive it), the
     *              system's on a worker
     */
    BatchRun(List<PendingImage> batch, IsolatingClassifier classifier, LongSupplier clock, String topic,
             int partition) {
        this.batch = batch;
        this.classifier = classifier;
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
                outputs.add(new Output(p.id(), prediction(writer, scores, p, c, models[i], classifiedAt),
                        p.timestamp(), new RecordHeaders(), null));
            } else if (outcomes[i] instanceof Outcome.Rejected r) {
                // Decoded but not fed to the model (e.g. it cannot be resized to its input): found only
                // now, so the dead letter is made here, with the headers the exception handler writes.
                DeadLetterRecord dead = DeadLetterRecord.of(p.id(), p.value(), p.headers(), r.reason(), r.message(),
                        topic, partition, p.offset());
                outputs.add(new Output(p.id(), dead.value(), p.timestamp(), dead.headers(), r.reason()));
            }
        }
        if (counted != null) {
            segments.add(new Segment(counted, predicted, latencies));
        }
        return new Finished(outputs, segments, batch.size(), queuedMs, inferenceNanos,
                batch.get(batch.size() - 1).offset() + 1);
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
