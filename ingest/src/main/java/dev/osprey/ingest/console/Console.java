package dev.osprey.ingest.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.Json;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.http.HttpAccess;
import io.javalin.config.JavalinConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ConflictResponse;
import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.ServiceUnavailableResponse;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console: a page at {@code /} that shows the loop live (predictions with their images,
 * training events, dead letters) and lets a person take part in it through the API's own
 * endpoints ({@code POST /images}, {@code POST /feedback/{id}}) and {@code POST /console/retrain},
 * which writes a {@link RetrainRequest} to {@code retrain}.
 *
 * <p>Updates go out as Server-Sent Events on {@code GET /console/events}: one {@code snapshot}
 * when a client connects, then at most {@link #EVENTS_PER_SECOND} {@code update} events a second,
 * each a batch of what is new, to at most {@link #MAX_CLIENTS} clients; the page never polls.
 * The console owns its reader of the topics, its broadcaster and a producer for retrain
 * requests, and closes them in reverse order.
 */
public final class Console implements AutoCloseable {

    /** Clients of {@code /console/events} at once; one more is answered 503. */
    public static final int MAX_CLIENTS = 16;
    /** Updates a client gets per second at most; each carries everything new since the last. */
    public static final int EVENTS_PER_SECOND = 4;
    /** Predictions in one update at most: the strip shows fewer, so a busy stream sends its newest. */
    static final int PREDICTIONS_PER_UPDATE = 16;

    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    /** A retrain request is given up after this (above the producer's 10 s request timeout). */
    private static final Duration SEND_BOUND = Duration.ofSeconds(25);
    /** A quiet stream still gets its rates refreshed this often. */
    private static final long IDLE_REFRESH_MS = 1000;
    private static final Set<String> ASSETS = Set.of("console.js", "console.css");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "html", "text/html; charset=utf-8");

    private final KafkaSettings settings;
    private final HttpAccess access;
    private final ConsoleState state;
    private final ConsoleTail tail;
    private final Producer<String, byte[]> producer;
    private final ScheduledExecutorService broadcaster;
    private final Set<SseClient> clients = new CopyOnWriteArraySet<>();
    private long lastSent;
    private long lastSentAt;

    private Console(KafkaSettings settings, HttpAccess access, ConsoleState state, ConsoleTail tail,
                    Producer<String, byte[]> producer) {
        this.settings = settings;
        this.access = access;
        this.state = state;
        this.tail = tail;
        this.producer = producer;
        this.broadcaster = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "osprey-console-events");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts reading the topics (which must exist) and broadcasting.
     *
     * @throws org.apache.kafka.common.KafkaException when Kafka cannot be read
     */
    public static Console start(KafkaSettings settings, HttpAccess access) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(access, "access");
        // 512 thumbnails of about 500 bytes each; a stream of photos fills the byte bound first.
        Thumbnails thumbnails = new Thumbnails(512, 2L << 20);
        ConsoleState state = new ConsoleState(thumbnails, System::nanoTime);
        ConsoleTail tail = ConsoleTail.start(settings, state, thumbnails, KAFKA_TIMEOUT);
        KafkaProducer<String, byte[]> producer;
        try {
            producer = new KafkaProducer<>(settings.requestProducerProperties("osprey-console", SEND_BOUND),
                    new StringSerializer(), new ByteArraySerializer());
        } catch (RuntimeException e) {
            tail.close();
            throw e;
        }
        Console console = new Console(settings, access, state, tail, producer);
        console.broadcaster.scheduleWithFixedDelay(console::broadcast, 0, 1000 / EVENTS_PER_SECOND,
                TimeUnit.MILLISECONDS);
        return console;
    }

    /** Adds the page, its assets, the state, the event stream and the retrain button to {@code config}. */
    public void install(JavalinConfig config) {
        config.routes.get("/", ctx -> asset(ctx, "index.html"));
        config.routes.get("/console/assets/{file}", ctx -> {
            String file = ctx.pathParam("file");
            if (!ASSETS.contains(file)) {
                throw new NotFoundResponse("no console asset '" + file + "'");
            }
            asset(ctx, file);
        });
        config.routes.get("/console/info", ctx -> json(ctx, 200, info()));
        config.routes.get("/console/state", ctx -> json(ctx, 200, state.since(0, PREDICTIONS_PER_UPDATE * 3)));
        config.routes.get("/console/events", this::events);
        config.routes.post("/console/retrain", this::retrain);
    }

    /** Clients connected to the event stream now. */
    public int clients() {
        return clients.size();
    }

    private ObjectNode info() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("tokenRequired", access.token().isPresent());
        n.put("maxClients", MAX_CLIENTS).put("eventsPerSecond", EVENTS_PER_SECOND);
        n.putObject("topics").put("images", settings.topics().images())
                .put("predictions", settings.topics().predictions())
                .put("deadLetters", settings.topics().deadLetters())
                .put("trainingEvents", settings.topics().trainingEvents())
                .put("retrain", settings.topics().retrain());
        return n;
    }

    private void events(Context ctx) throws Exception {
        if (clients.size() >= MAX_CLIENTS) {
            throw new ServiceUnavailableResponse("the console has " + MAX_CLIENTS + " viewers already; try again later");
        }
        new SseHandler(client -> {
            clients.add(client);
            client.onClose(() -> clients.remove(client));
            client.sendEvent("snapshot", write(state.since(0, PREDICTIONS_PER_UPDATE * 3)));
            client.keepAlive();
        }).handle(ctx);
    }

    /** One batch of what is new to every client: a no-op while nothing changed, but for the rates. */
    private void broadcast() {
        try {
            long seq = state.seq();
            long now = System.currentTimeMillis();
            if (clients.isEmpty() || (seq == lastSent && now - lastSentAt < IDLE_REFRESH_MS)) {
                return;
            }
            String update = write(state.since(lastSent, PREDICTIONS_PER_UPDATE));
            lastSent = seq;
            lastSentAt = now;
            for (SseClient client : clients) {
                if (client.terminated()) {
                    clients.remove(client);
                } else {
                    client.sendEvent("update", update);
                }
            }
        } catch (RuntimeException e) {
            // A client gone mid-write must not end the schedule for the others.
            LOG.debug("A console update failed: {}", e.toString());
        }
    }

    private void retrain(Context ctx) {
        String model = ctx.queryParam("model");
        if (model == null || model.isBlank()) {
            model = state.latestModel().orElseThrow(() -> new ConflictResponse(
                    "no model known yet: no prediction seen; say which with ?model=NAME"));
        }
        if (model.length() > 200) {
            throw new BadRequestResponse("model name longer than 200 characters");
        }
        String name = model;
        byte[] value = RetrainRequest.serde().toBytes(new RetrainRequest("asked for in the console", "console", Map.of()));
        CompletableFuture<ObjectNode> sent = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(settings.topics().retrain(), name, value), (md, e) -> {
            if (e != null) {
                sent.completeExceptionally(e);
            } else {
                sent.complete(Json.mapper().createObjectNode().put("model", name).put("topic", md.topic())
                        .put("partition", md.partition()).put("offset", md.offset()));
            }
        });
        ctx.future(() -> sent.handle((body, e) -> {
            if (e != null) {
                LOG.warn("A retrain request for {} was not written to {}: {}", name, settings.topics().retrain(),
                        e.toString());
                json(ctx, 503, Json.mapper().createObjectNode().put("error", "Kafka did not take the retrain request: "
                        + e.getMessage()));
            } else {
                LOG.info("Retrain of {} asked for in the console ({} partition {} offset {})", name,
                        body.get("topic").asText(), body.get("partition").asInt(), body.get("offset").asLong());
                json(ctx, 202, body);
            }
            return null;
        }));
    }

    private static void asset(Context ctx, String file) throws IOException {
        try (InputStream in = Console.class.getResourceAsStream("/console/" + file)) {
            if (in == null) {
                throw new NotFoundResponse("console asset '" + file + "' is missing from the jar");
            }
            ctx.contentType(TYPES.get(file.substring(file.lastIndexOf('.') + 1)));
            ctx.header("Cache-Control", "no-cache");
            ctx.result(in.readAllBytes());
        }
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(write(body));
    }

    private static String write(ObjectNode node) {
        try {
            return Json.mapper().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops broadcasting (the clients' streams end with the server), then the producer, then the reader. */
    @Override
    public void close() {
        broadcaster.shutdownNow();
        clients.forEach(SseClient::close);
        clients.clear();
        try {
            producer.close(SEND_BOUND);
        } catch (RuntimeException e) {
            LOG.warn("Closing the console's producer failed: {}", e.toString());
        }
        tail.close();
    }
}
