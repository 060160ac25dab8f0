package dev.osprey.classifier.batch;

import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.classifier.deadletter.RejectedRecordException;
import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.ModelManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Micro-batches the images of one input partition through the model.
 *
 * <p><b>Why nothing is lost.</b> Kafka Streams commits the offset of every record whose
 * {@code process()} returned, while the batch that holds it may not have run yet. So the images
 * themselves wait only in memory, and a changelogged store keeps, per input partition, a
 * <i>pointer</i>: the first offset whose image has not been flushed. A flush writes its
 * predictions and the new pointer in the same transaction as the offsets. After a crash or a
 * rebalance, {@link #init} compares the restored pointer with the committed offset and reads
 * {@code [pointer, committed)} back from the input partition: exactly the images that were taken
 * but never classified. Records in that range that fail to decode were already dead-lettered when
 * first seen (decoding is deterministic), so they are skipped.
 *
 * <p>Decoding and validation happen here, per record, before an image joins a batch: a bad record
 * is thrown out as a {@link RejectedRecordException} and becomes a dead letter, and the batch never
 * sees it. The one forward pass per batch runs when the batch is full, or from a cheap wall-clock
 * punctuation once its oldest image has waited {@code max-delay}.
 */
public final class BatchingProcessor implements Processor<String, byte[], String, byte[]> {

    public static final String POINTER_STORE = "batch-pointers";
    public static final String PREDICTIONS_CHILD = "predictions-sink";
    public static final String DEAD_LETTER_CHILD = "dead-letter-sink";

    private static final Logger LOG = LoggerFactory.getLogger(BatchingProcessor.class);
    private static final int TOP_K = 3;

    private final String inputTopic;
    private final BatchSettings settings;
    private final BatchClassifier classifier;
    private final InputReplayer replayer;
    private final ClassifierMetrics metrics;
    private final JsonSerde<Prediction> predictionSerde = Prediction.serde();
    private final List<PendingImage> buffer = new ArrayList<>();

    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<Integer, Long> pointers;
    private int partition;
    private Long pointer;

    public BatchingProcessor(String inputTopic, BatchSettings settings, BatchClassifier classifier,
                             InputReplayer replayer, ClassifierMetrics metrics) {
        this.inputTopic = inputTopic;
        this.settings = settings;
        this.classifier = classifier;
        this.replayer = replayer;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.pointers = context.getStateStore(POINTER_STORE);
        this.partition = context.taskId().partition();
        this.pointer = pointers.get(partition);
        if (pointer != null) {
            recover();
        }
        context.schedule(settings.tick(), PunctuationType.WALL_CLOCK_TIME, now -> flushIfDue());
    }

    /** Re-reads the images that were taken but not flushed before this task last stopped. */
    private void recover() {
        TopicPartition tp = new TopicPartition(inputTopic, partition);
        OptionalLong committed = replayer.committedOffset(tp);
        if (committed.isEmpty()) {
            // A read_committed offset fetch waits out open transactions, so "no offset" is real: the
            // group's offsets expired (offsets.retention.minutes) while the pointer, compacted, stayed.
            // The main consumer then starts over per auto.offset.reset and redelivers what it needs.
            LOG.warn("{}: flush pointer {} but no committed offset (expired?); relying on redelivery", tp,
                    pointer);
            return;
        }
        if (committed.getAsLong() <= pointer) {
            LOG.debug("{}: nothing to recover (flush pointer {}, committed offset {})", tp, pointer,
                    committed.getAsLong());
            return;
        }
        long now = context.currentSystemTimeMs();
        int skipped = 0;
        List<ConsumerRecord<String, byte[]>> records = replayer.read(tp, pointer, committed.getAsLong());
        for (ConsumerRecord<String, byte[]> r : records) {
            try {
                buffer.add(pending(r.key(), r.value(), r.headers(), r.offset(), r.timestamp(), now));
            } catch (ImageRejectedException e) {
                skipped++;
            }
        }
        if (records.isEmpty() || records.get(0).offset() != pointer) {
            LOG.warn("{}: records from offset {} are no longer retained; recovery starts at {}",
                    tp, pointer, records.isEmpty() ? committed.getAsLong() : records.get(0).offset());
        }
        LOG.info("{}: recovered {} unflushed images from offsets [{}, {}) ({} dead letters skipped)",
                tp, buffer.size(), pointer, committed.getAsLong(), skipped);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        long offset = context.recordMetadata().map(RecordMetadata::offset).orElseThrow();
        if (pointer == null) {
            movePointer(offset);
        }
        String id = record.key() != null ? record.key() : inputTopic + '-' + partition + '@' + offset;
        try {
            buffer.add(pending(id, record.value(), record.headers(), offset, record.timestamp(),
                    context.currentSystemTimeMs()));
        } catch (ImageRejectedException e) {
            if (buffer.isEmpty()) {
                movePointer(offset + 1);
            }
            throw new RejectedRecordException(e.reason(), e.getMessage());
        }
        if (buffer.size() >= settings.maxBatch()) {
            flush();
        }
    }

    private static PendingImage pending(String id, byte[] value, Headers headers, long offset, long timestamp,
                                        long now) throws ImageRejectedException {
        RawImage image = ImageDecoder.decode(value, headers);
        int truth = ImageHeaders.label(headers).orElse(-1);
        // A record without a timestamp (-1) takes the time it was read: outputs need a valid one.
        return new PendingImage(id, image, offset, timestamp >= 0 ? timestamp : now, truth, now, value, headers);
    }

    private void flushIfDue() {
        if (!buffer.isEmpty()
                && context.currentSystemTimeMs() - buffer.get(0).arrivedMs() >= settings.maxDelay().toMillis()) {
            flush();
        }
    }

    private void flush() {
        long started = System.nanoTime();
        long now = context.currentSystemTimeMs();
        List<RawImage> images = new ArrayList<>(buffer.size());
        for (PendingImage p : buffer) {
            images.add(p.image());
        }
        BatchResult result = classifier.classify(images);
        long inferenceNanos = System.nanoTime() - started;
        long classifiedAt = context.currentSystemTimeMs();
        long[] latencies = new long[buffer.size()];
        int predicted = 0;
        for (int i = 0; i < buffer.size(); i++) {
            PendingImage p = buffer.get(i);
            Outcome outcome = result.outcomes().get(i);
            if (outcome instanceof Outcome.Classified c) {
                Prediction prediction = prediction(p, c, result.model(), classifiedAt);
                latencies[predicted++] = prediction.latencyMs();
                context.forward(new Record<>(p.id(), predictionSerde.toBytes(prediction), p.timestamp(),
                        new RecordHeaders()), PREDICTIONS_CHILD);
            } else if (outcome instanceof Outcome.Rejected r) {
                deadLetter(p, r);
            }
        }
        metrics.batch(buffer.size(), now - buffer.get(0).arrivedMs(), inferenceNanos);
        metrics.predicted(result.model(), predicted, latencies);
        movePointer(buffer.get(buffer.size() - 1).offset() + 1);
        buffer.clear();
    }

    private Prediction prediction(PendingImage p, Outcome.Classified c, ModelManifest model, long classifiedAt) {
        List<String> names = model.classes();
        int k = Math.min(TOP_K, c.topClasses().length);
        List<Prediction.Scored> top = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            int cls = c.topClasses()[j];
            top.add(new Prediction.Scored(cls, names.get(cls), round(c.topScores()[j])));
        }
        return new Prediction(p.id(), c.best(), names.get(c.best()), round(c.confidence()), top, model.name(),
                model.version(), p.truth() >= 0 ? p.truth() : null, p.timestamp(), classifiedAt,
                classifiedAt - p.timestamp());
    }

    private static double round(float p) {
        return Math.round(p * 1e5) / 1e5;
    }

    /**
     * An image that decoded but cannot be fed to the serving model (e.g. it cannot be resized to the
     * model's input). It is found at flush time, outside its own {@code process()} call, so it is
     * forwarded to the dead-letter sink here, with the same headers the exception handler writes.
     */
    private void deadLetter(PendingImage p, Outcome.Rejected r) {
        Headers headers = DeadLetterHeaders.of(p.headers(), r.reason(), r.message(), inputTopic, partition,
                p.offset());
        context.forward(new Record<>(p.id(), p.value(), p.timestamp(), headers), DEAD_LETTER_CHILD);
        metrics.deadLettered(r.reason());
    }

    private void movePointer(long next) {
        pointer = next;
        pointers.put(partition, next);
    }

    @Override
    public void close() {
        // Nothing to flush: unflushed images are re-read from the input by the next owner of this partition.
        buffer.clear();
    }
}
