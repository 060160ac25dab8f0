package dev.osprey.ingest.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.format.Json;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The newest {@code live-accuracy} event of each model version, as the trainer computed it
 * (predictions joined with feedback by id): per-class accuracy and the confusion matrix since the
 * version's first outcome. The console shows these numbers rather than counting its own, so the
 * page and the trainer's rollback judge agree. Bounded: {@link #VERSIONS} versions, the most
 * recently reported kept, and matrices of at most {@link #MAX_CLASSES} classes; an event with a
 * larger or ragged matrix is refused. Not thread-safe: {@link ConsoleState} guards it.
 */
final class LiveMatrices {

    /** Versions (of any model) whose matrix is kept. */
    static final int VERSIONS = 8;
    /** The trainer's own bound (its {@code VersionStats.MAX_CLASSES}). */
    static final int MAX_CLASSES = 100;

    private final Map<String, ObjectNode> byVersion = new LinkedHashMap<>();

    /**
     * Keeps {@code event}'s numbers as the newest of its version, stamped with {@code seq}; false
     * (and nothing kept) if it is not a usable {@code live-accuracy} event.
     */
    boolean offer(JsonNode event, long seq) {
        JsonNode details = event.path("details");
        String model = event.path("model").textValue();
        if (model == null || !event.path("version").canConvertToInt() || !validMatrix(details.path("confusion"))) {
            return false;
        }
        int version = event.get("version").asInt();
        ObjectNode kept = Json.mapper().createObjectNode();
        kept.put("seq", seq).put("model", model).put("version", version).put("ts", event.path("ts").asLong());
        kept.put("outcomes", details.path("outcomes").asLong());
        kept.put("correct", details.path("correct").asLong());
        if (details.path("accuracy").isNumber()) {
            kept.put("accuracy", details.get("accuracy").asDouble());
        }
        if (details.path("windowAccuracy").isNumber()) {
            kept.put("windowAccuracy", details.get("windowAccuracy").asDouble());
            kept.put("window", details.path("window").asInt());
        }
        int classes = details.get("confusion").size();
        ArrayNode perClass = kept.putArray("perClass");
        JsonNode given = details.path("perClass");
        for (int i = 0; i < classes; i++) {
            JsonNode a = given.path(i);
            if (a.isNumber()) {
                perClass.add(a.asDouble());
            } else {
                perClass.addNull();
            }
        }
        kept.set("confusion", details.get("confusion").deepCopy());
        String key = model + ":" + version;
        byVersion.remove(key); // re-inserted last: the most recently reported is evicted last
        byVersion.put(key, kept);
        Iterator<String> oldest = byVersion.keySet().iterator();
        while (byVersion.size() > VERSIONS) {
            oldest.next();
            oldest.remove();
        }
        return true;
    }

    /** Every kept version whose numbers came after {@code since}. */
    void since(long since, ArrayNode into) {
        for (ObjectNode n : byVersion.values()) {
            if (n.get("seq").asLong() > since) {
                into.add(n.deepCopy());
            }
        }
    }

    /** A square matrix of non-negative whole counts, 1 to {@link #MAX_CLASSES} classes. */
    private static boolean validMatrix(JsonNode rows) {
        if (!rows.isArray() || rows.isEmpty() || rows.size() > MAX_CLASSES) {
            return false;
        }
        for (JsonNode row : rows) {
            if (!row.isArray() || row.size() != rows.size()) {
                return false;
            }
            for (JsonNode n : row) {
                if (!n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 0) {
                    return false;
                }
            }
        }
        return true;
    }
}
