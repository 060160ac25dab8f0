package dev.osprey.classifier.batch;

import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.classifier.deadletter.DeadLetterRecord;
import dev.osprey.classifier.deadletter.RejectedRecordException;
import dev.osprey.core.format.PredictionWriter;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.OspreyTopics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
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
 * punctuation once its oldest image has waited {@code max-delay}, or early when the buffer holds
 * {@code max-batch-bytes}.
 *
 * <p><b>Poison.</b> A batch whose forward pass throws an {@link InferenceException} is split in
 * halves until the images that fail alone are found; they become {@code inference-failed} dead
 * letters and the rest are classified. Records below the pointer (after an offset reset or when
 * the group's offsets expired) were flushed before and are skipped, so nothing is classified twice.
 * Offsets that retention deleted before they could be re-read are counted
 * ({@code osprey.classifier.recovery.lost}) and logged with their range.
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
    private IsolatingClassifier isolating;
    private final InputReplayer replayer;
    private final ClassifierMetrics metrics;
    private final PredictionWriter predictionWriter = new PredictionWriter();
    private final List<PendingImage> buffer = new ArrayList<>();
    private long bufferedBytes;
    private long skippedBelowPointer;

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
        this.isolating = new IsolatingClassifier(classifier, inputTopic + '-' + partition);
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
            // The main consumer then starts over per auto.offset.reset; process() skips what is below
            // the pointer and takes the rest as it comes.
            LOG.warn("{}: flush pointer {} but no committed offset (expired?); relying on redelivery", tp,
                    pointer);
            return;
        }
        long end = committed.getAsLong();
        if (end <= pointer) {
            LOG.debug("{}: nothing to recover (flush pointer {}, committed offset {})", tp, pointer, end);
            return;
        }
        long from = pointer;
        long logStart = replayer.logStartOffset(tp);
        if (logStart > from) {
            long lostTo = Math.min(logStart, end);
            metrics.recoveryLost(lostTo - from);
            LOG.error("{}: offsets [{}, {}) were deleted by retention before they could be re-read; their {} "
                    + "image(s) are lost (neither predicted nor dead-lettered)", tp, from, lostTo, lostTo - from);
            from = lostTo;
        }
        long now = context.currentSystemTimeMs();
        int skipped = 0;
        List<ConsumerRecord<String, byte[]>> records = from < end ? replayer.read(tp, from, end) : List.of();
        for (ConsumerRecord<String, byte[]> r : records) {
            try {
                String id = imageId(r.key(), r.offset());
                checkId(id);
                add(pending(id, r.value(), r.headers(), r.offset(), r.timestamp(), now));
            } catch (ImageRejectedException e) {
                skipped++;
            }
        }
        LOG.info("{}: recovered {} unflushed images from offsets [{}, {}) ({} dead letters skipped)",
                tp, buffer.size(), from, end, skipped);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        long offset = context.recordMetadata().map(RecordMetadata::offset).orElseThrow();
        if (pointer == null) {
            movePointer(offset);
        } else if (offset < pointer) {
            skipBelowPointer(offset);
            return;
        } else if (skippedBelowPointer > 0) {
            LOG.info("{}-{}: skipped {} record(s) below the flush pointer {}", inputTopic, partition,
                    skippedBelowPointer, pointer);
            skippedBelowPointer = 0;
        }
        String id = imageId(record.key(), offset);
        try {
            checkId(id);
            add(pending(id, record.value(), record.headers(), offset, record.timestamp(),
                    context.currentSystemTimeMs()));
        } catch (ImageRejectedException e) {
            if (buffer.isEmpty()) {
                movePointer(offset + 1);
            }
            throw new RejectedRecordException(e.reason(), e.getMessage());
        }
        if (buffer.size() >= settings.maxBatch() || bufferedBytes >= settings.maxBatchBytes()) {
            flush();
        }
    }

    /**
     * The image id: the key, or for a key-less record its position, {@code <topic>-<partition>@<offset>},
     * which is the same when the record is re-read after a crash.
     */
    private String imageId(String key, long offset) {
        return key != null ? key : inputTopic + '-' + partition + '@' + offset;
    }

    /** An id goes into every output record twice (key and JSON): a huge key would make them unproducible. */
    private static void checkId(String id) throws ImageRejectedException {
        // UTF-8 takes at most 3 bytes per UTF-16 char: most ids pass without being encoded.
        if (id.length() * 3L > OspreyTopics.IMAGE_ID_MAX_BYTES) {
            int bytes = id.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > OspreyTopics.IMAGE_ID_MAX_BYTES) {
                throw new ImageRejectedException(RejectReason.BAD_KEY, "the key is " + bytes
                        + " bytes; an image id may have at most " + OspreyTopics.IMAGE_ID_MAX_BYTES);
            }
        }
    }

    /** A record this task flushed before: the input was rewound (offset reset, expired group offsets). */
    private void skipBelowPointer(long offset) {
        if (skippedBelowPointer++ == 0) {
            LOG.warn("{}-{}: offset {} is below the flush pointer {}: the input was rewound; skipping the "
                    + "records already classified", inputTopic, partition, offset, pointer);
        }
    }

    private PendingImage pending(String id, byte[] value, Headers headers, long offset, long timestamp,
                                 long now) throws ImageRejectedException {
        RawImage image = ImageDecoder.decode(value, headers, settings.maxPixels());
        int truth = ImageHeaders.labelIndex(headers);
        // A record without a timestamp (-1) takes the time it was read: outputs need a valid one.
        return new PendingImage(id, image, offset, timestamp >= 0 ? timestamp : now, truth, now, value, headers);
    }

    private void add(PendingImage p) {
        buffer.add(p);
        bufferedBytes += weight(p);
    }

    /** What a buffered image keeps on the heap: its pixels, and its original value and headers. */
    private static long weight(PendingImage p) {
        long bytes = p.image().pixels().length + 64L;
        if (p.value() != null && p.value() != p.image().pixels()) {
            bytes += p.value().length;
        }
        if (p.headers() != null) {
            for (Header h : p.headers()) {
                bytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
            }
        }
        return bytes;
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
        IsolatingClassifier.Result result = isolating.classify(buffer);
        Outcome[] outcomes = result.outcomes();
        ModelManifest[] models = result.models();
        long inferenceNanos = System.nanoTime() - started;
        long classifiedAt = context.currentSystemTimeMs();
        long[] latencies = new long[buffer.size()];
        int predicted = 0;
        ModelManifest counted = null;
        for (int i = 0; i < buffer.size(); i++) {
            PendingImage p = buffer.get(i);
            if (outcomes[i] instanceof Outcome.Classified c) {
                if (counted != null && counted != models[i]) {
                    // A swap between two halves of a split batch: count each version's predictions.
                    metrics.predicted(counted, predicted, latencies);
                    predicted = 0;
                }
                counted = models[i];
                latencies[predicted++] = classifiedAt - p.timestamp();
                context.forward(new Record<>(p.id(), prediction(p, c, models[i], classifiedAt), p.timestamp(),
                        new RecordHeaders()), PREDICTIONS_CHILD);
            } else if (outcomes[i] instanceof Outcome.Rejected r) {
                deadLetter(p, r);
            }
        }
        metrics.batch(buffer.size(), now - buffer.get(0).arrivedMs(), inferenceNanos);
        if (counted != null) {
            metrics.predicted(counted, predicted, latencies);
        }
        movePointer(buffer.get(buffer.size() - 1).offset() + 1);
        buffer.clear();
        bufferedBytes = 0;
    }

    /** The prediction's JSON, written straight from the outcome (no record, no list, no boxing per image). */
    private byte[] prediction(PendingImage p, Outcome.Classified c, ModelManifest model, long classifiedAt) {
        int k = Math.min(TOP_K, c.topClasses().length);
        double[] scores = new double[k];
        for (int j = 0; j < k; j++) {
            scores[j] = round(c.topScores()[j]);
        }
        return predictionWriter.write(p.id(), model.classes(), c.topClasses(), scores, k, model.name(),
                model.version(), p.truth(), p.timestamp(), classifiedAt);
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
        DeadLetterRecord dead = DeadLetterRecord.of(p.id(), p.value(), p.headers(), r.reason(), r.message(),
                inputTopic, partition, p.offset());
        context.forward(new Record<>(p.id(), dead.value(), p.timestamp(), dead.headers()), DEAD_LETTER_CHILD);
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
        bufferedBytes = 0;
    }
}
