package dev.osprey.ingest.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.FeedbackCorrection;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.JsonSerde;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.core.http.HttpServers;
import dev.osprey.core.http.RequestGuard;
import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.ingest.IngestException;
import dev.osprey.ingest.IngestMetrics;
import dev.osprey.ingest.console.Console;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest over HTTP: upload an image, read back its prediction, send a label.
 *
 * <ul>
 *   <li>{@code POST /images} (also {@code PUT /images} and {@code PUT /images/{name}}, what
 *       {@code curl -T shoe.png} sends): a raw PNG/JPEG/BMP body, raw pixels with {@code width},
 *       {@code height} and {@code channels} (query or headers), or a multipart form with an
 *       {@code image} file; optional {@code id} and {@code label}. It is decoded as the
 *       classifier will decode it, published to {@code images}, and answered {@code 202}
 *       {@code {"id": ...}} once Kafka acknowledged it.
 *   <li>{@code GET /predictions/{id}?timeout=MS}: the prediction JSON, waiting for it up to the
 *       timeout (default 10 s, at most 60 s); {@code 404} when none came. Predictions are those
 *       written to {@code predictions} since this server started. Without {@code timeout}, an id
 *       this server did not upload is a {@code 404} as soon as the reader of {@code predictions}
 *       has read everything written before the request (two polls, well under a second).
 *   <li>{@code POST /feedback/{id}} with a label (JSON, form, or query): a
 *       {@link FeedbackCorrection} on {@code feedback}, {@code 202}; {@code 400} naming the range
 *       for a label outside the model's classes, once {@link #classCount} has told them.
 * </ul>
 *
 * <p>The uploads and feedback pass the shared {@link RequestGuard}: 401 when a token is set and
 * the request does not carry it, 403 for a cross-site browser request. Errors are
 * {@code {"error": "..."}} with 400 (bad id, label or image), 401, 403, 413 (over
 * {@link OspreyTopics#IMAGE_MAX_BYTES}), 415 (not an image type), or 503 (Kafka did not
 * acknowledge in time, or too many uploads or waiting requests at once, with {@code Retry-After}).
 * Every wait is bounded. The server owns its producer, its reader of
 * {@code predictions} and its HTTP server, and closes them in reverse order.
 */
public final class IngestHttpServer implements AutoCloseable {

    /** How long {@code GET /predictions/{id}} waits when the request does not say. */
    public static final Duration DEFAULT_PREDICTION_WAIT = Duration.ofSeconds(10);
    /** The longest wait a request may ask for. */
    public static final Duration MAX_PREDICTION_WAIT = Duration.ofSeconds(60);
    /**
     * The pixel budget of an upload unless told otherwise: the smallest budget a classifier picks
     * by default (1024x1024), so an image ingest accepts is one every classifier decodes.
     */
    public static final long DEFAULT_MAX_PIXELS = ImageDecoder.MAX_DECODED_PIXELS;
    /** An upload is answered 503 if Kafka has not acknowledged it by then. */
    static final Duration ACK_WAIT = KafkaAcks.ACK_WAIT;

    private static final Logger LOG = LoggerFactory.getLogger(IngestHttpServer.class);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(10);
    /** About 500 bytes each: tens of MB at most, and ten minutes of a busy stream. */
    private static final int RECENT_MAX = 100_000;
    private static final Duration RECENT_TTL = Duration.ofMinutes(10);
    private static final int MAX_WAITERS = 10_000;
    /** Upload bodies held in memory at once, each up to 8 MB: bounds the heap an upload burst takes. */
    private static final int MAX_CONCURRENT_UPLOADS = 16;
    private static final Duration UPLOAD_SLOT_WAIT = Duration.ofSeconds(10);
    private static final JsonSerde<FeedbackCorrection> CORRECTIONS = FeedbackCorrection.serde();
    private static final String JSON = "application/json";

    private final OspreyTopics topics;
    private final HttpAccess access;
    private final String host;
    private final IngestMetrics metrics;
    private final RequestMeters requests;
    private final Producer<String, byte[]> producer;
    private final KafkaAcks acks;
    private final RecentPredictions recent;
    private final PredictionTail tail;
    /** The web console at {@code /}. */
    private final Console console;
    /** Answers are written here, never on the producer's or the reader's own thread. */
    private final ExecutorService replies;
    private final Javalin app;
    private final Semaphore uploadSlots = new Semaphore(MAX_CONCURRENT_UPLOADS);
    private final LabelRange labels = new LabelRange();
    private final long maxPixels;

    private IngestHttpServer(KafkaSettings settings, String host, HttpAccess access, MeterRegistry registry,
                             Producer<String, byte[]> producer, RecentPredictions recent, PredictionTail tail,
                             Console console, ExecutorService replies, long maxPixels) {
        this.maxPixels = maxPixels;
        this.topics = settings.topics();
        this.access = access;
        this.host = host;
        this.metrics = new IngestMetrics(registry);
        this.requests = new RequestMeters(registry);
        this.producer = producer;
        this.acks = new KafkaAcks(producer, metrics);
        this.recent = recent;
        this.tail = tail;
        this.console = console;
        this.replies = replies;
        this.app = Javalin.create(this::configure);
    }

    /**
     * Starts the producer and the reader of {@code predictions}, and serves on {@code host:port}.
     * The topics must exist: the command that starts the server creates them.
     *
     * @param port   0 picks a free port ({@link #port()} tells which)
     * @param access the token uploads and feedback need, if any
     * @throws IngestException when Kafka cannot be reached or the address cannot be bound
     * @throws IllegalArgumentException for a bad port, or a non-loopback {@code host} without a token
     *                                  that {@link HttpAccess#noAuth()} does not allow
     */
    public static IngestHttpServer start(KafkaSettings settings, String host, int port, HttpAccess access,
                                         MeterRegistry registry) throws IngestException {
        return start(settings, host, port, access, registry, DEFAULT_MAX_PIXELS);
    }

    /**
     * As {@link #start(KafkaSettings, String, int, HttpAccess, MeterRegistry)}, with a pixel budget:
     * an uploaded PNG, JPEG or BMP declaring more than {@code maxPixels} pixels is answered 413 from
     * its header, before it is decoded.
     *
     * @throws IllegalArgumentException also for {@code maxPixels} outside [1, 4096x4096]
     */
    public static IngestHttpServer start(KafkaSettings settings, String host, int port, HttpAccess access,
                                         MeterRegistry registry, long maxPixels) throws IngestException {
        Objects.requireNonNull(settings, "settings");
        if (maxPixels < 1 || maxPixels > ImageDecoder.DEFAULT_MAX_PIXELS) {
            throw new IllegalArgumentException("the pixel budget must be in [1, " + ImageDecoder.DEFAULT_MAX_PIXELS
                    + "], not " + maxPixels);
        }
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(registry, "registry");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HTTP port must be in [0, 65535], not " + port);
        }
        access.requireSafeBind(host, "uploads and feedback");
        ExecutorService replies = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "osprey-ingest-http-reply");
            t.setDaemon(true);
            return t;
        });
        RecentPredictions recent = new RecentPredictions(RECENT_MAX, RECENT_TTL, MAX_WAITERS, System::nanoTime);
        KafkaProducer<String, byte[]> producer = null;
        PredictionTail tail = null;
        Console console = null;
        IngestHttpServer server = null;
        try {
            producer = new KafkaProducer<>(producerProperties(settings), new StringSerializer(),
                    new ByteArraySerializer());
            tail = PredictionTail.start(settings, recent, KAFKA_TIMEOUT);
            console = Console.start(settings, access);
            server = new IngestHttpServer(settings, host, access, registry, producer, recent, tail, console, replies,
                    maxPixels);
            server.app.start(host, port);
            LOG.info("Ingest HTTP API on http://{}:{} (images to {}, predictions from {}){}", host, server.port(),
                    settings.topics().images(), settings.topics().predictions(),
                    access.token().isPresent() ? ", bearer token required for uploads and feedback" : "");
            return server;
        } catch (RuntimeException e) {
            if (server != null) {
                server.close();
            } else {
                if (console != null) {
                    console.close();
                }
                closeQuietly(tail, producer, replies);
            }
            if (e instanceof KafkaException) {
                throw new IngestException("cannot use Kafka at " + settings.bootstrapServers() + ": " + e.getMessage(), e);
            }
            throw new IngestException("cannot serve HTTP on " + host + ":" + port + ": " + describe(e), e);
        }
    }

    /**
     * Whether the server can do its job: false while Kafka refuses what it sends (the newest
     * completed send failed), so {@code /readyz} takes it out of a load balancer.
     */
    public boolean ready() {
        return acks.healthy();
    }

    /** The port the server listens on. */
    public int port() {
        return app.port();
    }

    /**
     * Tells the server how many classes the model has, so that feedback with a label outside
     * {@code [0, classes)} is answered 400; until then any label {@code >= 0} is taken. May be
     * called again, when a model with other classes is published.
     */
    public void classCount(int classes) {
        labels.classes(classes);
    }

        /** Requests waiting for a prediction now. */
    int waitingRequests() {
        return recent.waiting();
    }

    /** Stops serving, then stops reading predictions, then flushes and closes the producer. */
    @Override
    public void close() {
        // The console's event streams end first: a stream still open when Jetty stops is completed
        // on a request that no longer exists.
        console.close();
        try {
            app.stop();
        } catch (RuntimeException e) {
            LOG.warn("Stopping the HTTP server failed: {}", e.toString());
        }
        closeQuietly(tail, producer, replies);
    }

    private static void closeQuietly(PredictionTail tail, Producer<String, byte[]> producer, ExecutorService replies) {
        if (tail != null) {
            tail.close();
        }
        if (producer != null) {
            try {
                producer.close(CLOSE_BOUND);
            } catch (RuntimeException e) {
                LOG.warn("Closing the ingest producer failed: {}", e.toString());
            }
        }
        replies.shutdownNow();
    }

    private void configure(JavalinConfig config) {
        HttpServers.configure(config, "osprey-ingest-http", 250);
        RequestGuard.install(config, access, host);
        int slack = ImageUpload.MULTIPART_SLACK;
        config.http.maxRequestSize = (long) OspreyTopics.IMAGE_MAX_BYTES + slack;
        // Jetty's own multipart limits sit above ours, so ours answer first and with the real size.
        config.jetty.multipartConfig.maxFileSize(OspreyTopics.IMAGE_MAX_BYTES + slack, SizeUnit.BYTES);
        config.jetty.multipartConfig.maxTotalRequestSize(OspreyTopics.IMAGE_MAX_BYTES + 2L * slack, SizeUnit.BYTES);
        config.jetty.multipartConfig.maxInMemoryFileSize(OspreyTopics.IMAGE_MAX_BYTES + slack, SizeUnit.BYTES);
        config.requestLogger.http(requests::count);

        config.routes.post("/images", this::postImage);
        config.routes.put("/images", this::postImage);
        config.routes.post("/images/{name}", this::postImage);
        config.routes.put("/images/{name}", this::postImage);
        // <id>: ids may hold slashes (run7/test-00042), as the batch ingest makes them.
        config.routes.get("/predictions/<id>", this::getPrediction);
        config.routes.post("/feedback/<id>", this::postFeedback);
        console.install(config);

        config.routes.exception(ApiError.class, (e, ctx) -> {
            if (e.status() == 503) {
                ctx.header("Retry-After", "1");
            }
            error(ctx, e.status(), e.getMessage());
        });
        config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.warn("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error: " + describe(e));
        });
    }

    private void postImage(Context ctx) {
        String id;
        CompletableFuture<RecordMetadata> acked;
        acquireUploadSlot();
        try {
            ImageUpload upload = ImageUpload.read(ctx, ctx.pathParamMap().get("name"), maxPixels);
            id = upload.id().orElseGet(() -> UUID.randomUUID().toString());
            acked = send(new ProducerRecord<>(topics.images(), null, id, upload.value(), upload.headers()),
                    metrics.published());
            // Its prediction is worth waiting for, even when the reader of predictions is at the end.
            recent.expect(id);
        } finally {
            // The producer has copied the body into its buffer by now (or refused it).
            uploadSlots.release();
        }
        ctx.future(() -> acked.handleAsync((md, e) -> {
            if (e != null) {
                kafkaError(ctx, "image", e);
            } else {
                ctx.header("Location", "/predictions/" + id);
                json(ctx, 202, accepted(id, md));
            }
            return null;
        }, replies));
    }

    private void getPrediction(Context ctx) {
        String id = Requests.id(ctx.pathParam("id"));
        String timeout = ctx.queryParam("timeout");
        Duration wait = waitParam(timeout);
        // No one asked to wait and this server did not upload the id: once the reader has read every
        // prediction written before this request, waiting longer would only delay the same 404.
        boolean mayAnswerAtEnd = timeout == null && !recent.expected(id);
        AtomicBoolean unknown = new AtomicBoolean();
        CompletableFuture<Optional<byte[]>> found = !mayAnswerAtEnd ? recent.await(id, wait)
                : tail.settled().thenCompose(atEnd -> {
                    unknown.set(atEnd);
                    return recent.await(id, atEnd ? Duration.ZERO : wait);
                });
        ctx.future(() -> found.thenAcceptAsync(json -> {
            if (json.isPresent()) {
                ctx.status(200).contentType(JSON).result(json.get());
            } else if (unknown.get()) {
                error(ctx, 404, "no prediction for '" + id + "': none on " + topics.predictions() + " since this "
                        + "server started, and it did not upload that id (add ?timeout=MS to wait for one)");
            } else {
                error(ctx, 404, "no prediction for '" + id + "' within " + wait.toMillis() + " ms (only predictions "
                        + "made since this server started are known)");
            }
        }, replies));
    }

    private void postFeedback(Context ctx) {
        String id = Requests.id(ctx.pathParam("id"));
        FeedbackRequest request = FeedbackRequest.read(ctx);
        labels.check(request.label());
        byte[] value = CORRECTIONS.toBytes(new FeedbackCorrection(id, request.label(), request.who().orElse(null)));
        RecordHeaders headers = new RecordHeaders();
        ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, FeedbackCorrection.CONTENT_TYPE);
        CompletableFuture<RecordMetadata> acked = send(
                new ProducerRecord<>(topics.feedback(), null, id, value, headers), metrics.feedback());
        ctx.future(() -> acked.handleAsync((md, e) -> {
            if (e != null) {
                kafkaError(ctx, "feedback", e);
            } else {
                json(ctx, 202, accepted(id, md).put("label", request.label()));
            }
            return null;
        }, replies));
    }

    /** Sends asynchronously; the future completes on the producer's thread, or fails after {@link #ACK_WAIT}. */
    private CompletableFuture<RecordMetadata> send(ProducerRecord<String, byte[]> record, Counter acknowledged) {
        return acks.send(record, acknowledged);
    }

    private void acquireUploadSlot() {
        try {
            if (uploadSlots.tryAcquire(UPLOAD_SLOT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new ApiError(503, "too many uploads in progress (" + MAX_CONCURRENT_UPLOADS + "); try again");
    }

    private static Duration waitParam(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_PREDICTION_WAIT;
        }
        try {
            long ms = Long.parseLong(value.trim());
            if (ms >= 0 && ms <= MAX_PREDICTION_WAIT.toMillis()) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest("bad timeout '" + Requests.shorten(value) + "': milliseconds, 0 to "
                + MAX_PREDICTION_WAIT.toMillis());
    }

    private void kafkaError(Context ctx, String what, Throwable failure) {
        String message = KafkaAcks.failure(what, failure);
        LOG.warn("{} {}: {}", ctx.method(), ctx.path(), message);
        error(ctx, 503, message);
    }

    /** The answer to an accepted write: the id, and where the record is. */
    private static ObjectNode accepted(String id, RecordMetadata md) {
        return Json.mapper().createObjectNode().put("id", id).put("topic", md.topic())
                .put("partition", md.partition()).put("offset", md.offset());
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, Json.mapper().createObjectNode().put("error", message));
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        try {
            ctx.status(status).contentType(JSON).result(Json.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON tree", e);
        }
    }

    private static Properties producerProperties(KafkaSettings settings) {
        // The producer gives up before the request does, so a 503 means the record was not written.
        return settings.requestProducerProperties("osprey-ingest-http", ACK_WAIT.minusSeconds(5));
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : t.getMessage();
    }
}
