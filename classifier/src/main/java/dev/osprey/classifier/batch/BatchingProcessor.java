package dev.osprey.classifier.batch;

import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.classifier.deadletter.RejectedRecordException;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.topic.OspreyTopics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.StreamsException;
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
 * <p><b>Pipelining.</b> With an {@link InferencePool} of workers, a full or due batch is handed to
 * a worker ({@link BatchRun}: forward pass and output bytes) and the stream thread goes on
 * consuming and decoding. Finished batches are forwarded in input order on the stream thread, at
 * the start of the next {@code process()} or punctuation, and only then does the pointer move past
 * them, so a batch in flight is, for recovery, exactly like one still buffered. At most
 * {@code maxInFlight} batches per task are in flight; with that many, the stream thread waits for
 * the oldest (back-pressure). Memory per task is so bounded by (maxInFlight + 1) x max-batch-bytes.
 * A task closed with batches in flight drops them: the next owner re-reads them from the pointer.
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
    public static final String SHADOW_CHILD = "shadow-sink";
    public static final String LABEL_REQUEST_CHILD = "label-request-sink";

    private static final Logger LOG = LoggerFactory.getLogger(BatchingProcessor.class);

    private final String inputTopic;
    private final BatchSettings settings;
    private final BatchClassifier classifier;
    private final InputReplayer replayer;
    private final ClassifierMetrics metrics;
    private final InferencePool pool;
    private final int maxInFlight;
    private final List<PendingImage> buffer = new ArrayList<>();
    private final ArrayDeque<Future<BatchRun.Finished>> inFlight = new ArrayDeque<>();
    private long bufferedBytes;
    private IsolatingClassifier isolating;
    private LabelRequestQuota quota;
    private LongSupplier clock;
    private long skippedBelowPointer;

    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<Integer, Long> pointers;
    private int partition;
    private Long pointer;

    /** Runs every batch on the stream thread (no pipelining). */
    public BatchingProcessor(String inputTopic, BatchSettings settings, BatchClassifier classifier,
                             InputReplayer replayer, ClassifierMetrics metrics) {
        this(inputTopic, settings, classifier, replayer, metrics, InferencePool.inline(), 1);
    }

    /**
     * @param pool        where batches run; shared by all tasks, owned by the caller
     * @param maxInFlight batches this task may have on the pool and not yet forwarded
     */
    public BatchingProcessor(String inputTopic, BatchSettings settings, BatchClassifier classifier,
                             InputReplayer replayer, ClassifierMetrics metrics, InferencePool pool,
                             int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max in-flight batches must be positive: " + maxInFlight);
        }
        this.inputTopic = inputTopic;
        this.settings = settings;
        this.classifier = classifier;
        this.replayer = replayer;
        this.metrics = metrics;
        this.pool = pool;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.pointers = context.getStateStore(POINTER_STORE);
        this.partition = context.taskId().partition();
        this.isolating = new IsolatingClassifier(classifier, inputTopic + '-' + partition);
        this.quota = new LabelRequestQuota(settings.labelRequestsPerSecond());
        // Inline, the context's clock (which a TopologyTestDriver drives); on a worker, the system's.
        this.clock = pool.pipelined() ? System::currentTimeMillis : context::currentSystemTimeMs;
        this.pointer = pointers.get(partition);
        if (pointer != null) {
            recover();
        }
        // Recovered images (possibly more than a batch) are handed off by the next process() or punctuation.
        context.schedule(settings.tick(), PunctuationType.WALL_CLOCK_TIME, now -> punctuate());
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
        long now = clock.getAsLong();
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
        forwardFinished();
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
                    clock.getAsLong()));
        } catch (ImageRejectedException e) {
            if (buffer.isEmpty() && inFlight.isEmpty()) {
                movePointer(offset + 1);
            }
            throw new RejectedRecordException(e.reason(), e.getMessage());
        }
        while (buffer.size() >= settings.maxBatch() || bufferedBytes >= settings.maxBatchBytes()) {
            dispatch();
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

    private void punctuate() {
        forwardFinished();
        if (!buffer.isEmpty() && clock.getAsLong() - buffer.get(0).arrivedMs() >= settings.maxDelay().toMillis()) {
            while (!buffer.isEmpty()) {
                dispatch();
            }
        }
    }

    /**
     * Hands the oldest buffered images (at most max-batch of them, and at most max-batch-bytes unless
     * one image alone is larger) to the pool, first waiting for the oldest batch in flight if this
     * task has {@code maxInFlight} of them.
     */
    private void dispatch() {
        int n = 0;
        long bytes = 0;
        while (n < buffer.size() && n < settings.maxBatch() && (n == 0 || bytes < settings.maxBatchBytes())) {
            bytes += weight(buffer.get(n++));
        }
        List<PendingImage> batch;
        if (n == buffer.size()) {
            batch = new ArrayList<>(buffer);
            buffer.clear();
        } else {
            List<PendingImage> head = buffer.subList(0, n);
            batch = new ArrayList<>(head);
            head.clear();
        }
        bufferedBytes -= bytes;
        while (inFlight.size() >= maxInFlight) {
            forward(await(inFlight.removeFirst()));
        }
        inFlight.addLast(pool.submit(new BatchRun(batch, isolating, quota, clock, inputTopic, partition)));
        if (!pool.pipelined()) {
            forwardFinished();
        }
    }

    /** Forwards the finished batches at the head of the in-flight queue, in input order. */
    private void forwardFinished() {
        while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
            forward(await(inFlight.removeFirst()));
        }
    }

    /** The batch's result; what its worker threw is rethrown here, on the stream thread, as it was thrown. */
    private static BatchRun.Finished await(Future<BatchRun.Finished> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new StreamsException("a forward pass failed", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamsException("interrupted while waiting for a forward pass", e);
        } catch (CancellationException e) {
            throw new IllegalStateException("a batch in flight was cancelled while its task was open", e);
        }
    }

    private void forward(BatchRun.Finished done) {
        for (BatchRun.Output o : done.outputs()) {
            Record<String, byte[]> r = new Record<>(o.key(), o.value(), o.timestamp(), o.headers());
            switch (o.sink()) {
                case PREDICTION -> context.forward(r, PREDICTIONS_CHILD);
                case DEAD_LETTER -> {
                    context.forward(r, DEAD_LETTER_CHILD);
                    metrics.deadLettered(o.deadLetter());
                }
                case SHADOW -> context.forward(r, SHADOW_CHILD);
                case LABEL_REQUEST -> context.forward(r, LABEL_REQUEST_CHILD);
            }
        }
        metrics.batch(done.size(), done.queuedMs(), done.inferenceNanos());
        for (BatchRun.Segment seg : done.segments()) {
            metrics.predicted(seg.model(), seg.count(), seg.latenciesMs());
        }
        movePointer(done.nextPointer());
    }

    private void movePointer(long next) {
        pointer = next;
        pointers.put(partition, next);
    }

    @Override
    public void close() {
        // Nothing to flush: unflushed images, buffered or in flight, are re-read from the input by the
        // next owner of this partition. A batch a worker is running finishes there and is dropped.
        for (Future<BatchRun.Finished> f : inFlight) {
            f.cancel(false);
        }
        inFlight.clear();
        buffer.clear();
        bufferedBytes = 0;
    }
}
