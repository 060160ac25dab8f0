package dev.osprey.ingest.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.osprey.core.format.Json;
import io.javalin.http.Context;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The label of a {@code POST /feedback/{id}}: from a JSON body ({@code {"label": 3, "who": "ann"}}),
 * a form ({@code label=3}), or the query ({@code ?label=3}), in that order.
 *
 * @param label the true class index
 * @param who   who labelled it, if said
 */
record FeedbackRequest(int label, Optional<String> who) {

    /** A label and a name fit in far less; a larger body is not a feedback request. */
    static final int MAX_BYTES = 64 * 1024;
    private static final int WHO_MAX = 200;

    /** @throws ApiError 400, 413 or 415 saying what is wrong */
    static FeedbackRequest read(Context ctx) {
        String type = Requests.mediaType(ctx.contentType());
        String label = null;
        String who = null;
        if (type.equals(ImageUpload.MULTIPART)) {
            Requests.checkLength(ctx, MAX_BYTES, "feedback");
            label = ctx.formParam("label");
            who = ctx.formParam("who");
        } else {
            byte[] body = Requests.body(ctx, MAX_BYTES, "feedback");
            String text = new String(body, StandardCharsets.UTF_8).strip();
            if (!text.isEmpty()) {
                // curl -d '{"label": 3}' sends the form type: the body says what it is.
                if (type.equals("application/json") || text.startsWith("{")) {
                    JsonNode json = json(text);
                    label = labelText(json.get("label"));
                    who = json.hasNonNull("who") ? json.get("who").asText() : null;
                } else if (type.equals("application/x-www-form-urlencoded")) {
                    label = formField(text, "label");
                    who = formField(text, "who");
                } else {
                    throw ApiError.unsupportedType("content-type '" + Requests.shorten(type) + "' is not accepted "
                            + "for feedback: send application/json {\"label\": N}, a form with label=N, or ?label=N");
                }
            }
        }
        if (label == null) {
            label = ctx.queryParam("label");
        }
        if (who == null) {
            who = ctx.queryParam("who");
        }
        if (label == null || label.isBlank()) {
            throw ApiError.badRequest("no label: send {\"label\": N} as JSON, label=N as a form field, or ?label=N");
        }
        return new FeedbackRequest(Requests.label(label), Optional.ofNullable(who).map(String::strip)
                .filter(w -> !w.isEmpty()).map(FeedbackRequest::checkWho));
    }

    private static JsonNode json(String text) {
        try {
            JsonNode node = Json.mapper().readTree(text);
            if (node == null || !node.isObject()) {
                throw ApiError.badRequest("the JSON body must be an object such as {\"label\": 3}");
            }
            return node;
        } catch (JacksonException e) {
            throw ApiError.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** The label as text for {@link Requests#label}; a JSON number must be a whole one. */
    private static String labelText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isNumber() && !node.isIntegralNumber()) {
            throw ApiError.badRequest("bad label " + node + ": a class index, a whole number >= 0");
        }
        return node.isValueNode() ? node.asText() : node.toString();
    }

    private static String formField(String body, String name) {
        try {
            for (String pair : body.split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                    return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("the form body is not URL-encoded: " + e.getMessage());
        }
    }

    private static String checkWho(String who) {
        if (who.length() > WHO_MAX || who.codePoints().anyMatch(Character::isISOControl)) {
            throw ApiError.badRequest("bad who: at most " + WHO_MAX + " characters, no control characters");
        }
        return who;
    }
}
