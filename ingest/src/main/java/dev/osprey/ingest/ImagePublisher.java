package dev.osprey.ingest;

import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicReader;
import dev.osprey.ingest.source.ImageSource;
import dev.osprey.ingest.source.SourceImage;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the images of a source to {@code images}, paced, counted, looped and shuffled as the
 * options say, and sends a seeded share of the labelled ones to {@code feedback} as well, never
 * one of the {@link HeldOutImages held-out} images. With the {@link FeedbackStrategy#UNCERTAIN
 * uncertain} strategy, the feedback copies are instead the images an {@link UncertainLabeller}
 * answers from {@code label-requests}, with the same record shape, headers and delay.
 *
 * <p>Sends are asynchronous: a callback counts acknowledgements and errors, and the producer is
 * flushed once at the end, so the loop never waits on a single record. The producer is the
 * caller's; this class neither configures nor closes it.
 */
public final class ImagePublisher {

    private static final Logger LOG = LoggerFactory.getLogger(ImagePublisher.class);
    /** Feedback copies still scheduled when the run ends get this long beyond their delay. */
    private static final Duration FEEDBACK_GRACE = Duration.ofSeconds(30);
    /** Decorrelates the feedback choice from the shuffle, which uses the same seed. */
    private static final long FEEDBACK_SEED_MIX = 0x9E3779B97F4A7C15L;

    private final Producer<String, byte[]> producer;
    private final String imagesTopic;
    private final String feedbackTopic;
    private final IngestOptions options;
    private final IngestMetrics metrics;
    private final ProgressDisplay display;
    private final UncertainLabeller labeller;
    private final TopicReader requests;

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong feedbackSent = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicBoolean errorLogged = new AtomicBoolean();
    private final Callback imageCallback;
    private final Callback feedbackCallback;
    private volatile boolean stopped;

    public ImagePublisher(Producer<String, byte[]> producer, OspreyTopics topics, IngestOptions options,
                          MeterRegistry registry, ProgressDisplay display) {
        this(producer, topics, options, registry, display, null);
    }

    /**
     * A publisher whose feedback follows {@code options.feedbackStrategy()}; for the uncertain one,
     * {@code labelRequests} is a reader assigned to {@code label-requests} and positioned where
     * this run's requests start (its end), which the publisher then owns and closes.
     */
    public ImagePublisher(Producer<String, byte[]> producer, OspreyTopics topics, IngestOptions options,
                          MeterRegistry registry, ProgressDisplay display, TopicReader labelRequests) {
        boolean uncertain = options.feedbackStrategy() == FeedbackStrategy.UNCERTAIN;
        if (uncertain != (labelRequests != null)) {
            throw new IllegalArgumentException(uncertain ? "the uncertain feedback strategy needs a reader of "
                    + "label-requests" : "a reader of label-requests is only for the uncertain feedback strategy");
        }
        this.requests = labelRequests;
        this.labeller = uncertain ? new UncertainLabeller(options.feedbackShare()) : null;
        this.producer = Objects.requireNonNull(producer, "producer");
        this.imagesTopic = topics.images();
        this.feedbackTopic = topics.feedback();
        this.options = Objects.requireNonNull(options, "options");
        this.metrics = new IngestMetrics(registry);
        this.display = Objects.requireNonNull(display, "display");
        // One callback object per topic: no allocation per record on the hot path.
        this.imageCallback = (metadata, e) -> acknowledged(e, published, metrics.published()::increment);
        this.feedbackCallback = (metadata, e) -> acknowledged(e, feedbackSent, metrics.feedback()::increment);
    }

    /**
     * Asks a running {@link #publish} to stop after the current image; scheduled feedback copies
     * are dropped. Safe from any thread.
     */
    public void stop() {
        stopped = true;
    }

    /**
     * Publishes, then waits until Kafka has answered for every record. If the thread is
     * interrupted, the run stops early, still flushes what was sent, and keeps the interrupt flag.
     */
    public IngestSummary publish(ImageSource source) {
        long limit = limit(source.size());
        IndexOrder order = new IndexOrder(source.size(), options.shuffle(), options.seed());
        Random feedbackChoice = new Random(options.seed() * FEEDBACK_SEED_MIX + 1);
        double feedbackChance = options.feedbackChance();
        RatePacer pacer = new RatePacer(options.rate());
        ScheduledThreadPoolExecutor delayed = feedbackScheduler();
        boolean interrupted = false;
        if (labeller != null) {
            labeller.start(requests, (id, index) -> sendFeedback(delayed, id, source.image(index)));
        }

        display.start(limit == Long.MAX_VALUE ? -1 : limit, published::get);
        long start = System.nanoTime();
        IngestSummary summary;
        try {
            for (long n = 0; n < limit && !stopped && !Thread.currentThread().isInterrupted(); n++) {
                pacer.await();
                int index = order.next();
                SourceImage image = source.image(index);
                String id = id(image, order.pass());
                producer.send(new ProducerRecord<>(imagesTopic, null, id, image.value(),
                        new RecordHeaders(image.headers())), imageCallback);
                // Drawn for every image, labelled or not, so a seed picks the same images each run.
                boolean chosen = feedbackChoice.nextDouble() < feedbackChance;
                boolean answerable = image.labelled() && !options.heldOut().contains(image.idStem());
                if (labeller != null) {
                    labeller.published(id, index, answerable);
                } else if (chosen && answerable) {
                    sendFeedback(delayed, id, image);
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
            stopped = true;
        } finally {
            try {
                if (labeller != null) {
                    // Before the scheduler shuts down: late answers still need it.
                    interrupted |= labeller.finish(stopped || Thread.currentThread().isInterrupted());
                }
                interrupted |= finishFeedback(delayed);
                // flush() refuses to run with the interrupt flag set; the flag is restored below.
                interrupted |= Thread.interrupted();
                producer.flush();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                // Also when a send failed outright: the display must stop redrawing.
                summary = summary(start, source.skipped().size());
                display.finish(summary);
            }
        }
        LOG.info("Ingest of {} to {}: {}", source.name(), imagesTopic, summary.line());
        return summary;
    }

    private IngestSummary summary(long startNanos, int skipped) {
        return new IngestSummary(published.get(), feedbackSent.get(), errors.get(), skipped,
                Duration.ofNanos(System.nanoTime() - startNanos),
                labeller == null ? UncertainLabeller.Counts.NONE : labeller.counts());
    }

    /** How many images this run publishes, or Long.MAX_VALUE for a run without end. */
    private long limit(int size) {
        if (options.count() == 0) {
            return options.loop() ? Long.MAX_VALUE : size;
        }
        return options.loop() ? options.count() : Math.min(options.count(), size);
    }

    private String id(SourceImage image, int pass) {
        return HeldOutImages.id(options.idPrefix(), image.idStem(), pass);
    }

    private void sendFeedback(ScheduledThreadPoolExecutor delayed, String id, SourceImage image) {
        Header[] headers = image.headers();
        if (delayed == null) {
            producer.send(feedbackRecord(id, image, headers), feedbackCallback);
        } else {
            delayed.schedule(() -> producer.send(feedbackRecord(id, image, headers), feedbackCallback),
                    options.feedbackDelay().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private ProducerRecord<String, byte[]> feedbackRecord(String id, SourceImage image, Header[] headers) {
        return new ProducerRecord<>(feedbackTopic, null, id, image.value(), new RecordHeaders(headers));
    }

    private ScheduledThreadPoolExecutor feedbackScheduler() {
        if (options.feedbackShare() == 0 || options.feedbackDelay().isZero()) {
            return null;
        }
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "osprey-ingest-feedback");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Lets scheduled feedback copies go out (or drops them after stop()); true if interrupted. */
    private boolean finishFeedback(ScheduledThreadPoolExecutor delayed) {
        if (delayed == null) {
            return false;
        }
        if (stopped) {
            int dropped = delayed.shutdownNow().size();
            if (dropped > 0) {
                LOG.info("Stopped: {} scheduled feedback copies were not sent", dropped);
            }
            return false;
        }
        delayed.shutdown();
        try {
            Duration bound = options.feedbackDelay().plus(FEEDBACK_GRACE);
            if (!delayed.awaitTermination(bound.toNanos(), TimeUnit.NANOSECONDS)) {
                LOG.warn("Feedback copies still pending after {}; dropping them", bound);
                delayed.shutdownNow();
            }
            return false;
        } catch (InterruptedException e) {
            delayed.shutdownNow();
            return true;
        }
    }

    private void acknowledged(Exception e, AtomicLong count, Runnable meter) {
        if (e == null) {
            count.incrementAndGet();
            meter.run();
            return;
        }
        errors.incrementAndGet();
        metrics.errors().increment();
        if (errorLogged.compareAndSet(false, true)) {
            // One line, not one per record: a broker outage fails thousands at once.
            LOG.error("Kafka did not accept a record from ingest (later errors are only counted): {}", e.toString());
        }
    }
}
