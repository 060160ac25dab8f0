package dev.osprey.ingest.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.format.Json;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * What the console shows, as the tail of the topics left it: the latest predictions, training
 * events and dead letters in bounded rings, running counts, the trainer's newest per-class
 * accuracy and confusion matrix of each version ({@link LiveMatrices}), and which version of each
 * model the classifiers serve. A prediction by a version newer than any seen before for its model
 * puts a {@code serving} entry on the timeline: that is when the console saw the swap.
 * Every item gets a sequence number from one counter, so a client asks for "everything after n"
 * and never sees an item twice. Thread-safe: the tail writes, the broadcaster and requests read.
 */
final class ConsoleState {

    static final int PREDICTIONS = 48;
    static final int EVENTS = 400;
    static final int DEAD_LETTERS = 30;
    /** Latencies kept for the percentiles: the last this many predictions. */
    static final int LATENCIES = 1024;
    /** Per-version accuracy kept for this many versions, the newest. */
    static final int VERSIONS = 50;
    /** Models whose serving version is followed; more are rare, the oldest is forgotten. */
    static final int MODELS = 16;
    private static final int RATE_SECONDS = 5;

    private final Thumbnails thumbnails;
    private final LongSupplier nanoClock;
    private final Deque<Item> predictions = new ArrayDeque<>();
    private final Deque<Item> events = new ArrayDeque<>();
    private final Deque<Item> deadLetters = new ArrayDeque<>();
    private final int[] latencies = new int[LATENCIES];
    private final long[] rateBuckets = new long[RATE_SECONDS + 1];
    private final long[] rateSecond = new long[RATE_SECONDS + 1];
    private final TreeMap<Integer, String> classNames = new TreeMap<>();
    private final TreeMap<Integer, long[]> perVersion = new TreeMap<>();
    private final LiveMatrices matrices = new LiveMatrices();
    private final Map<String, Integer> serving = new LinkedHashMap<>();
    private long seq;
    private long predicted;
    private long withTruth;
    private long correct;
    private long feedback;
    private long deadLetterCount;

    private record Item(long seq, JsonNode node) {
    }

    ConsoleState(Thumbnails thumbnails, LongSupplier nanoClock) {
        this.thumbnails = thumbnails;
        this.nanoClock = nanoClock;
    }

    synchronized void prediction(JsonNode p) {
        predicted++;
        latencies[(int) ((predicted - 1) % LATENCIES)] = p.path("latencyMs").asInt(0);
        long second = nanoClock.getAsLong() / 1_000_000_000L;
        int bucket = (int) (second % rateBuckets.length);
        if (rateSecond[bucket] != second) {
            rateSecond[bucket] = second;
            rateBuckets[bucket] = 0;
        }
        rateBuckets[bucket]++;
        for (JsonNode top : p.path("top")) {
            if (top.has("class") && top.has("label")) {
                classNames.put(top.get("class").asInt(), top.get("label").asText());
            }
        }
        if (p.hasNonNull("truth")) {
            boolean right = p.path("class").asInt(-1) == p.get("truth").asInt();
            withTruth++;
            correct += right ? 1 : 0;
            long[] v = perVersion.computeIfAbsent(p.path("version").asInt(), k -> new long[2]);
            v[0]++;
            v[1] += right ? 1 : 0;
            while (perVersion.size() > VERSIONS) {
                perVersion.pollFirstEntry();
            }
        }
        served(p);
        add(predictions, p, PREDICTIONS);
    }

    /** A {@code serving} timeline entry when {@code p} is the first prediction of a newer version. */
    private void served(JsonNode p) {
        String model = p.path("model").textValue();
        JsonNode v = p.path("version");
        if (model == null || !v.canConvertToInt()) {
            return;
        }
        int version = v.asInt();
        Integer before = serving.get(model);
        if (before != null && version <= before) {
            return; // the same version, or an older one finishing its in-flight batches on another instance
        }
        serving.remove(model);
        serving.put(model, version);
        if (serving.size() > MODELS) {
            serving.remove(serving.keySet().iterator().next());
        }
        ObjectNode entry = Json.mapper().createObjectNode().put("type", "serving").put("model", model)
                .put("version", version).put("ts", p.path("classifyTs").asLong(System.currentTimeMillis()));
        entry.put("message", before == null ? "the first prediction the console saw was by v" + version
                : "predictions by v" + version + " replace v" + before);
        add(events, entry, EVENTS);
    }

    /**
     * A training event for the timeline; a {@code live-accuracy} event's matrix is kept per version
     * instead (it is up to 100 by 100 counts, and comes every 30 s per version).
     */
    synchronized void trainingEvent(JsonNode event) {
        if ("live-accuracy".equals(event.path("type").textValue())) {
            if (matrices.offer(event, seq + 1)) {
                seq++;
            }
            return;
        }
        add(events, event, EVENTS);
    }

    synchronized void deadLetter(JsonNode letter) {
        deadLetterCount++;
        add(deadLetters, letter, DEAD_LETTERS);
    }

    synchronized void feedback() {
        feedback++;
    }

    synchronized long seq() {
        return seq;
    }

    /** The model of the latest prediction seen, which a retrain asked for in the console is for. */
    synchronized Optional<String> latestModel() {
        return predictions.isEmpty() ? Optional.empty()
                : Optional.ofNullable(predictions.peekLast().node.path("model").textValue());
    }

    /**
     * Everything after sequence number {@code since} (0: everything kept), at most the newest
     * {@code maxPredictions} predictions, and the counts now.
     */
    synchronized ObjectNode since(long since, int maxPredictions) {
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("seq", seq);
        ArrayNode ps = out.putArray("predictions");
        int skip = predictions.size() - maxPredictions;
        for (Item item : predictions) {
            if (skip-- > 0) {
                continue;
            }
            if (item.seq > since) {
                ObjectNode p = ((ObjectNode) item.node.deepCopy()).put("seq", item.seq);
                // The image usually came first, but a prediction may beat it into the same poll.
                thumbnails.get(p.path("id").asText()).ifPresent(url -> p.put("thumb", url));
                ps.add(p);
            }
        }
        copy(events, since, out.putArray("events"));
        copy(deadLetters, since, out.putArray("deadLetters"));
        matrices.since(since, out.putArray("liveAccuracy"));
        out.set("stats", stats());
        return out;
    }

    private ObjectNode stats() {
        ObjectNode s = Json.mapper().createObjectNode();
        s.put("predictions", predicted);
        s.put("withTruth", withTruth);
        s.put("correct", correct);
        if (withTruth > 0) {
            s.put("accuracy", (double) correct / withTruth);
        }
        s.put("feedback", feedback);
        s.put("deadLetters", deadLetterCount);
        s.put("imagesPerSecond", rate());
        int n = (int) Math.min(predicted, LATENCIES);
        if (n > 0) {
            int[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            s.put("latencyP50", percentile(sorted, 0.50));
            s.put("latencyP99", percentile(sorted, 0.99));
        }
        ObjectNode names = s.putObject("classes");
        classNames.forEach((k, v) -> names.put(Integer.toString(k), v));
        ObjectNode served = s.putObject("serving");
        serving.forEach(served::put);
        ObjectNode versions = s.putObject("versionAccuracy");
        for (Map.Entry<Integer, long[]> e : perVersion.entrySet()) {
            versions.putObject(Integer.toString(e.getKey())).put("n", e.getValue()[0])
                    .put("accuracy", (double) e.getValue()[1] / e.getValue()[0]);
        }
        return s;
    }

    /** Predictions per second over the last whole seconds (the current one is still filling). */
    private double rate() {
        long now = nanoClock.getAsLong() / 1_000_000_000L;
        long sum = 0;
        for (int i = 0; i < rateBuckets.length; i++) {
            if (rateSecond[i] < now && rateSecond[i] >= now - RATE_SECONDS) {
                sum += rateBuckets[i];
            }
        }
        return (double) sum / RATE_SECONDS;
    }

    static int percentile(int[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    private void add(Deque<Item> ring, JsonNode node, int max) {
        ring.addLast(new Item(++seq, node));
        while (ring.size() > max) {
            ring.removeFirst();
        }
    }

    private static void copy(Deque<Item> ring, long since, ArrayNode into) {
        for (Item item : ring) {
            if (item.seq > since) {
                into.add(((ObjectNode) item.node.deepCopy()).put("seq", item.seq));
            }
        }
    }
}
