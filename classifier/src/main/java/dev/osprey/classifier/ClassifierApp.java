package dev.osprey.classifier;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.osprey.classifier.batch.BatchWarmup;
import dev.osprey.classifier.batch.InferencePool;
import dev.osprey.classifier.batch.KafkaInputReplayer;
import dev.osprey.classifier.batch.Parallelism;
import dev.osprey.classifier.deadletter.DeadLetterHandler;
import dev.osprey.classifier.deadletter.ProductionErrorHandler;
import dev.osprey.classifier.model.DjlBatchClassifier;
import dev.osprey.classifier.model.ModelFollower;
import dev.osprey.classifier.model.ModelHolder;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.state.StateDirectory;
import dev.osprey.core.topic.OspreyTopics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier service: follows {@code models}, and once a model serves, runs the
 * {@link ClassifierTopology} on Kafka Streams. Owns every resource it opens and closes them in
 * reverse order.
 */
public final class ClassifierApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierApp.class);
    /** Full batches per worker before the stream starts: enough for the JIT (see {@link BatchWarmup}). */
    private static final int WARM_UP_ROUNDS = 40;

    private final ClassifierConfig config;
    private final ClassifierMetrics metrics;
    private final ModelHolder holder = new ModelHolder();
    private final KafkaProducer<String, byte[]> events;
    private final ModelFollower follower;
    private final StateDirectory stateDir;
    private final InferencePool pool;
    private final DjlBatchClassifier classifier;
    private volatile KafkaStreams streams;
    private volatile boolean closing;
    private KafkaStreamsMetrics streamsMetrics;

    public ClassifierApp(ClassifierConfig config, MeterRegistry registry) {
        this.config = config;
        this.metrics = new ClassifierMetrics(registry);
        configurePyTorchThreads(config.parallelism().intraOpThreads());
        int intraOp = config.parallelism().intraOpThreads();
        this.pool = InferencePool.of(config.parallelism().inferenceThreads(), () -> {
            if (intraOp > 0) {
                JniUtils.setNumThreads(intraOp);
            }
        });
        this.classifier = new DjlBatchClassifier(holder);
        this.stateDir = StateDirectory.of(config.stateDir(), "osprey-classifier-");
        this.events = new KafkaProducer<>(config.kafka().eventProducerProperties(), new StringSerializer(), new ByteArraySerializer());
        this.follower = new ModelFollower(config.kafka().modelReaderProperties(), config.topics().models(), config.modelName(),
                holder, device(), metrics, config.batch().maxBatch(), this::reportRefusal);
    }

    /**
     * Starts following {@code models}, waits up to {@code modelWait} for a first model, then starts
     * the stream. Throws {@link IllegalStateException} if no model arrives in time.
     */
    public void start(Duration modelWait) throws InterruptedException {
        follower.start();
        long deadline = System.nanoTime() + modelWait.toNanos();
        while (!holder.awaitModel(Duration.ofSeconds(10))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no usable model on topic " + config.topics().models() + " after "
                        + modelWait.toSeconds() + " s: publish one with 'osprey train --publish'");
            }
            LOG.info("waiting for a model on topic {} ...", config.topics().models());
        }
        warmUp();
        KafkaInputReplayer replayer = new KafkaInputReplayer(config.applicationId(), config.kafka());
        Parallelism parallelism = config.parallelism();
        streams = new KafkaStreams(ClassifierTopology.build(config.topics(), config.batch(), classifier, replayer, metrics, pool, parallelism.maxInFlight()),
                streamsConfig(config, stateDir.path(), metrics));
        streams.setUncaughtExceptionHandler(new BoundedReplacement());
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        streams.start();
        LOG.info("classifier {} started: {} on {} core(s), {}, max-batch {}, max-batch-bytes {}, max-delay {} ms, "
                        + "max-pixels {}, serving {}",
                config.applicationId(), parallelism.describe(), Runtime.getRuntime().availableProcessors(),
                config.guarantee().streamsValue(),
                config.batch().maxBatch(), config.batch().maxBatchBytes(), config.batch().maxDelay().toMillis(),
                config.batch().maxPixels(),
                holder.serving().map(ModelManifest::tag).orElse("?"));
    }

    /**
     * Runs the serving model and the per-record path on synthetic full-size batches on every worker,
     * so that the first seconds of real input run at the steady rate (docs/BENCHMARKS.md, warm start).
     */
    private void warmUp() throws InterruptedException {
        ModelManifest model = holder.serving().orElseThrow();
        long started = System.nanoTime();
        int images = BatchWarmup.run(classifier, model.input(), config.batch(), pool, WARM_UP_ROUNDS,
                Duration.ofSeconds(3));
        LOG.info("warmed up on {} synthetic images in {} ms", images, (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Replaces a failed stream thread (its open transaction is aborted, nothing is lost), but stops the
     * client when threads keep failing: a failure that repeats would otherwise spin forever.
     */
    private static final class BoundedReplacement implements StreamsUncaughtExceptionHandler {

        private static final int MAX_FAILURES = 5;
        private static final long WINDOW_NANOS = Duration.ofMinutes(5).toNanos();
        private final ArrayDeque<Long> failures = new ArrayDeque<>();

        @Override
        public synchronized StreamThreadExceptionResponse handle(Throwable e) {
            long now = System.nanoTime();
            failures.addLast(now);
            while (now - failures.peekFirst() > WINDOW_NANOS) {
                failures.removeFirst();
            }
            if (failures.size() > MAX_FAILURES) {
                LOG.error("stream threads failed {} times in 5 minutes; stopping the classifier", failures.size(), e);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            LOG.error("stream thread failed; replacing it (its open transaction is aborted)", e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
    }

    /** The model serving now, if any. */
    public Optional<ModelManifest> serving() {
        return holder.serving();
    }

    /**
     * Why this classifier can no longer do its job, if it cannot: Kafka Streams failed or shut its
     * client down, or the model follower died. An orchestrator should restart the process.
     */
    public Optional<String> failure() {
        KafkaStreams s = streams;
        if (s != null && !closing) {
            KafkaStreams.State state = s.state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                    || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
                return Optional.of("Kafka Streams is " + state);
            }
        }
        return closing ? Optional.empty() : follower.failure();
    }

    /** Whether the stream is running (for readiness). */
    public boolean running() {
        return streams != null && streams.state().isRunningOrRebalancing();
    }

    /** The Kafka Streams properties: a static method so tests and benchmarks can inspect them. */
    public static Properties streamsConfig(ClassifierConfig config, Path stateDir, ClassifierMetrics metrics) {
        // Osprey's tuning first, then the user's client properties over it (putIfAbsent keeps theirs).
        Properties p = config.kafka().streamsProperties(config.applicationId());
        p.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.guarantee().streamsValue());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.parallelism().streamThreads());
        p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topics().deadLetters());
        p.put(DeadLetterHandler.LISTENER_CONFIG, metrics);
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, ProductionErrorHandler.class);
        p.put(ProductionErrorHandler.LISTENER_CONFIG, metrics);
        KafkaSettings kafka = config.kafka();
        kafka.streamsDefault(p, StreamsConfig.PRODUCER_PREFIX, ProducerConfig.LINGER_MS_CONFIG, 5);
        kafka.streamsDefault(p, StreamsConfig.PRODUCER_PREFIX, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        kafka.streamsDefault(p, StreamsConfig.PRODUCER_PREFIX, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        kafka.streamsDefault(p, StreamsConfig.PRODUCER_PREFIX, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                OspreyTopics.IMAGE_MAX_BYTES * 2);
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
                64 * 1024 * 1024);
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                OspreyTopics.IMAGE_MAX_BYTES + 1024 * 1024);
        kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.instanceId().ifPresent(id -> {
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id);
            kafka.streamsDefault(p, StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 15000);
        });
        return p;
    }

    private void reportRefusal(String modelKey, String reason) {
        String model = modelKey == null ? "" : modelKey;
        TrainingEvent event = new TrainingEvent("model-refused", model, null, null, null, null, null, null, null,
                null, reason, Map.of("classifier", config.applicationId()), System.currentTimeMillis());
        events.send(new ProducerRecord<>(config.topics().trainingEvents(), model,
                TrainingEvent.serde().toBytes(event)));
    }

    /**
     * PyTorch reads {@code ai.djl.pytorch.num_threads} once, when the engine starts; in a JVM that
     * started it earlier ({@code osprey demo} trains a seed model first) the property comes too late.
     * The count set here still reaches the stream threads: PyTorch keeps it in a global that each
     * thread adopts at its first parallel operator, and the stream threads start after this.
     */
    private static void configurePyTorchThreads(int intraOp) {
        if (intraOp > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
            Engine.getEngine(ModelArtifact.ENGINE); // loads libtorch (reading the property) if not yet loaded
            JniUtils.setNumThreads(intraOp);
        }
    }

    private static Device device() {
        Device d = Engine.getInstance().defaultDevice();
        LOG.info("inference device: {} (DJL engine {} {})", d, Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion());
        return d;
    }

    @Override
    public void close() {
        closing = true;
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
            streamsMetrics.close();
        }
        pool.close();
        try {
            follower.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        holder.close();
        events.close(Duration.ofSeconds(5));
        stateDir.close();
    }
}
