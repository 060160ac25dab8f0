package dev.osprey.trainer;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.state.StateDirectory;
import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.FeedbackListener;
import dev.osprey.trainer.feedback.LabelledExample;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.feedback.StoredExample;
import dev.osprey.trainer.live.LiveAccuracy;
import dev.osprey.trainer.live.LiveConfusion;
import dev.osprey.trainer.live.Outcome;
import dev.osprey.trainer.live.VersionStats;
import dev.osprey.trainer.rollback.AutoRollback;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.RetrainRun;
import dev.osprey.trainer.run.RunReport;
import dev.osprey.trainer.run.TrainingEvents;
import dev.osprey.trainer.shadow.ShadowPair;
import dev.osprey.trainer.shadow.ShadowTrial;
import dev.osprey.trainer.trigger.FeedbackCounter;
import dev.osprey.trainer.trigger.LiveAccuracyTrigger;
import dev.osprey.trainer.trigger.RetrainHttpServer;
import dev.osprey.trainer.trigger.RetrainScheduler;
import dev.osprey.trainer.trigger.TriggerRequest;
import dev.osprey.trainer.trigger.TriggerSink;
import dev.osprey.trainer.trigger.TriggerSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer service: learns from {@code feedback}, measures live accuracy, and retrains on any of
 * five triggers (a {@code retrain} record, {@code osprey retrain}, {@code POST /retrain}, every N new
 * feedback examples, live accuracy below a threshold), publishing a candidate only if it passes the
 * gate.
 *
 * <p>Every outcome (a prediction joined with its label) also goes to a confusion matrix per version
 * (the newest two: per-class meters, {@code /status}, {@code live-accuracy} events) and to the
 * automatic rollback, which republishes the previous weights when a swapped-in version does
 * significantly worse live (see {@link AutoRollback}).
 *
 * <p>Owns every resource it opens. They are created in the order events producer, model publisher,
 * rollback worker, run scheduler, Kafka Streams, HTTP server, and closed in reverse, except that the scheduler stops
 * (interrupting a run, which then publishes nothing) before Kafka Streams closes, so a run in flight
 * never reads a closing store.
 */
public final class TrainerApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainerApp.class);
    private static final Duration STORE_WAIT = Duration.ofSeconds(60);
    static final Duration LIVE_EVENT_INTERVAL = Duration.ofSeconds(30);

    private final TrainerConfig config;
    private final TrainerMetrics metrics;
    private final TrainingEvents events;
    private final ModelPublisher publisher;
    private final LiveAccuracy live;
    private final LiveConfusion confusion;
    private final AutoRollback rollback;
    private final ShadowTrial shadow;
    private final RetrainRun runner;
    private final RetrainScheduler scheduler;
    private final FeedbackCounter counter;
    private final AtomicLong stored = new AtomicLong();
    /** When each model version's last {@code live-accuracy} event went out (key {@code model:vN}). */
    private final Map<String, Long> liveReported = new ConcurrentHashMap<>();
    private final StateDirectory stateDir;
    private final FeedbackStore examples;
    private KafkaStreams streams;
    private KafkaStreamsMetrics streamsMetrics;
    private RetrainHttpServer http;

    /**
     * @param base     the dataset runs mix with feedback and gate on
     * @param registry where the meters go
     */
    public TrainerApp(TrainerConfig config, BaseData base, MeterRegistry registry) {
        this.config = config;
        this.metrics = new TrainerMetrics(registry);
        this.stateDir = StateDirectory.of(config.stateDir(), "osprey-trainer-");
        KafkaSettings settings = config.kafka();
        this.events = new TrainingEvents(settings.eventProducerProperties(), config.topics().trainingEvents());
        this.publisher = new ModelPublisher(settings, "osprey-trainer-" + config.topics().prefix()
                + config.modelName());
        LiveAccuracyTrigger liveTrigger = new LiveAccuracyTrigger(config.modelName(),
                config.triggers().minLiveAccuracy(), this::retrain);
        this.live = new LiveAccuracy(config.triggers().accuracyWindow(), new LiveAccuracy.Listener() {
            @Override
            public void firstOutcome(LiveAccuracy source, String model, int version) {
                metrics.liveAccuracy(source, model, version);
            }

            @Override
            public void windowFilled(LiveAccuracy source, String model, int version, double accuracy) {
                liveTrigger.windowFilled(source, model, version, accuracy);
                reportLiveAccuracy(model, version, accuracy);
            }
        });
        this.rollback = config.rollback().enabled()
                ? new AutoRollback(config.modelName(), config.rollback(), publisher, events, metrics) : null;
        this.shadow = config.promotion().shadow()
                ? new ShadowTrial(config.modelName(), config.promotion(), publisher, events) : null;
        this.confusion = new LiveConfusion(new LiveConfusion.Listener() {
            @Override
            public void added(VersionStats stats) {
                if (rollback != null && stats.model().equals(config.modelName())) {
                    rollback.versionSeen(stats.version());
                }
            }

            @Override
            public void evicted(VersionStats stats) {
                metrics.forgetClassMeters(stats);
            }
        });
        this.examples = new FeedbackStore(config.maxFeedback(), base.train().inputSpec(),
                base.train().classNames().size());
        metrics.feedbackStore(examples);
        this.runner = new RetrainRun(config, base, this::storedExamples, publisher, events, metrics,
                this::liveSummary, Optional.ofNullable(shadow));
        this.scheduler = new RetrainScheduler(runner, config.triggers().coalesceDelay(),
                config.triggers().minInterval(), stored::get);
        this.counter = new FeedbackCounter(config.triggers().retrainEvery(), scheduler);
    }

    /**
     * Starts Kafka Streams and the HTTP endpoint.
     *
     * @throws UncheckedIOException when the HTTP port cannot be bound
     */
    public void start() {
        streams = new KafkaStreams(TrainerTopology.build(config.topics(), config.joinWindow(), feedbackListener(),
                examples, this::outcome, this::shadowPair, this::retrainRequested), streamsConfig(config, stateDir.path()));
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("trainer stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        streams.start();
        if (shadow != null) {
            shadow.resume();
        } else {
            Thread t = new Thread(() -> ShadowTrial.retireLeftOver(config.modelName(), publisher, events),
                    "osprey-shadow-leftover");
            t.setDaemon(true);
            t.start();
        }
        if (config.http().enabled()) {
            try {
                http = RetrainHttpServer.start(config.http(), config.modelName(), scheduler, this::status);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot serve the trainer's HTTP endpoint on "
                        + config.http().host() + ":" + config.http().port() + ": " + e.getMessage(), e);
            }
        }
        LOG.info("trainer {} started for model {}: retrain every {} feedback examples, below live accuracy {} "
                        + "over {} outcomes, at most one run every {} s; join window {}", config.applicationId(),
                config.modelName(), config.triggers().retrainEvery(), config.triggers().minLiveAccuracy(),
                config.triggers().accuracyWindow(), config.triggers().minInterval().toSeconds(), config.joinWindow());
    }

    /** The Kafka Streams properties: a static method so tests can inspect them. */
    public static Properties streamsConfig(TrainerConfig config, Path stateDir) {
        Properties p = config.kafka().streamsProperties(config.applicationId());
        // The trainer writes only to its own stores: re-processing a record after a crash puts the same
        // example again under the same id, so at-least-once loses nothing and costs no transactions.
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueProcessingExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // The join stores and their changelogs hold whole images.
        KafkaSettings kafka = config.kafka();
        int recordBytes = OspreyTopics.IMAGE_MAX_BYTES + 64 * 1024;
        kafka.streamsDefault(p, StreamsConfig.TOPIC_PREFIX, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, recordBytes);
        kafka.streamsDefault(p, StreamsConfig.PRODUCER_PREFIX, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                OspreyTopics.IMAGE_MAX_BYTES * 2);
        kafka.streamsDefault(p, StreamsConfig.PRODUCER_PREFIX, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                OspreyTopics.IMAGE_MAX_BYTES + 1024 * 1024);
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
                64 * 1024 * 1024);
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return p;
    }

    /** One prediction checked against its label: windowed accuracy, confusion matrix, rollback judge. */
    private void outcome(Outcome o) {
        // The matrix first, so a live-accuracy event fired by this outcome's window includes it.
        confusion.record(o).ifPresent(stats -> {
            if (o.label() >= 0 && o.label() < VersionStats.MAX_CLASSES
                    && o.predicted() >= 0 && o.predicted() < VersionStats.MAX_CLASSES) {
                metrics.classOutcome(stats, o.label(), o.predicted());
            }
            if (rollback != null && o.model().equals(config.modelName())) {
                rollback.outcomeCounted(confusion.versions(o.model()));
            }
        });
        live.record(o);
    }

    /** One labelled image both the champion and the challenger scored. */
    private void shadowPair(ShadowPair pair) {
        if (shadow != null) {
            shadow.pair(pair);
        }
    }

    /**
     * Each full window of a version's outcomes, at most once per {@link #LIVE_EVENT_INTERVAL} per
     * version (at 9,000 outcomes/s a window of 200 fills 45 times a second): a {@code live-accuracy}
     * event with the windowed accuracy and the version's per-class accuracy and confusion matrix
     * since its first outcome.
     */
    private void reportLiveAccuracy(String model, int version, double accuracy) {
        long now = System.currentTimeMillis();
        String key = model + ":v" + version;
        Long last = liveReported.get(key);
        if (last != null && now - last < LIVE_EVENT_INTERVAL.toMillis()) {
            return;
        }
        if (liveReported.size() > 64) {
            liveReported.clear(); // many models or versions: forgetting only lets one event through early
        }
        liveReported.put(key, now);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("window", live.window());
        details.put("windowAccuracy", accuracy);
        confusion.stats(model, version).ifPresent(stats -> details.putAll(stats.toMap()));
        events.emit(TrainingEvent.ofVersion("live-accuracy", model, version, String.format(Locale.ROOT,
                "live accuracy of %s:v%d over its last %d outcomes: %.4f", model, version, live.window(), accuracy),
                details));
    }

    /** The confusion matrices of the kept versions (newest two). */
    public LiveConfusion confusion() {
        return confusion;
    }

    /** Asks for a run directly, as an embedding program (or a test) would. */
    public TriggerSink.Submission retrain(TriggerRequest request) {
        return scheduler.submit(request);
    }

    /** Whether the stream is running (for readiness). */
    public boolean running() {
        return streams != null && streams.state().isRunningOrRebalancing();
    }

    /** The HTTP port, when the endpoint is on. */
    public Optional<Integer> httpPort() {
        return Optional.ofNullable(http).map(RetrainHttpServer::port);
    }

    public LiveAccuracy liveAccuracy() {
        return live;
    }

    /** How the last run ended, if one did. */
    public Optional<RunReport> lastRun() {
        return runner.last();
    }

    /** The bounded store of the feedback examples runs train from. */
    public FeedbackStore examples() {
        return examples;
    }

    /** Examples stored since start (restored ones not counted). */
    public long examplesStored() {
        return stored.get();
    }

    /** What {@code GET /status} shows. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", config.modelName());
        RetrainScheduler.State state = scheduler.state();
        s.put("state", state.running() ? "running" : state.scheduled() ? "scheduled" : "idle");
        s.put("pending", state.pending());
        state.nextRun().ifPresent(at -> s.put("nextRun", at.toString()));
        s.put("runsFinished", state.runsFinished());
        s.put("runsSkippedWithoutNewFeedback", state.runsSkipped());
        s.put("minRetrainIntervalSeconds", config.triggers().minInterval().toSeconds());
        s.put("examplesStoredSinceStart", stored.get());
        s.put("feedbackKept", examples.size());
        s.put("maxFeedback", examples.capacity());
        s.put("feedbackEvicted", examples.evictions());
        s.put("feedbackSinceLastTrigger", counter.sinceLast());
        s.put("retrainEvery", config.triggers().retrainEvery());
        s.put("live", liveSummary());
        if (shadow != null) {
            s.put("shadow", shadow.status());
        }
        s.put("liveByVersion", confusion.versions(config.modelName()).stream().map(VersionStats::toMap).toList());
        runner.last().ifPresent(r -> s.put("lastRun", r.toMap()));
        return s;
    }

    private Map<String, Object> liveSummary() {
        return live.newest(config.modelName()).<Map<String, Object>>map(snap -> Map.of(
                "version", snap.version(),
                "accuracy", Double.isNaN(snap.accuracy()) ? 0.0 : snap.accuracy(),
                "outcomes", snap.outcomes(),
                "window", live.window())).orElse(Map.of());
    }

    private FeedbackListener feedbackListener() {
        return new FeedbackListener() {
            @Override
            public void received(FeedbackKind kind) {
                metrics.feedbackReceived(kind);
            }

            @Override
            public void stored(String id, LabelledExample example) {
                stored.incrementAndGet();
                counter.stored();
            }
        };
    }

    private void retrainRequested(String model, RetrainRequest request) {
        // A key-less request is for whichever trainer reads it.
        if (model != null && !model.equals(config.modelName())) {
            LOG.debug("ignoring a retrain request for model {}: this trainer retrains {}", model,
                    config.modelName());
            return;
        }
        TriggerSource source = "cli".equals(request.who()) ? TriggerSource.CLI : TriggerSource.RETRAIN_TOPIC;
        try {
            scheduler.submit(TriggerRequest.of(source, request));
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring a retrain request for {}: {}", config.modelName(), e.getMessage());
        }
    }

    /**
     * A snapshot of the kept examples once the stream runs: while it restores or rebalances, the
     * bounded store is still being loaded from the durable one, and a run would see only part of it.
     */
    private List<StoredExample> storedExamples() {
        long deadline = System.nanoTime() + STORE_WAIT.toNanos();
        while (true) {
            KafkaStreams s = streams;
            if (s == null) {
                throw new IllegalStateException("the trainer's stream is not started");
            }
            if (s.state() == KafkaStreams.State.RUNNING) {
                return examples.all();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the feedback store is not loaded after " + STORE_WAIT.toSeconds()
                        + " s (stream state " + s.state() + ")");
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        if (!config.run().closeGrace().isZero() && scheduler.state().running()) {
            LOG.info("letting a retraining run in flight finish (at most {} s)", config.run().closeGrace().toSeconds());
        }
        scheduler.close(config.run().closeGrace());
        if (rollback != null) {
            rollback.close();
        }
        if (shadow != null) {
            shadow.close();
        }
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
            streamsMetrics.close();
        }
        publisher.close();
        events.close();
        stateDir.close();
        LOG.info("trainer {} closed", config.applicationId());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TrainerApp[%s, model %s]", config.applicationId(), config.modelName());
    }
}
