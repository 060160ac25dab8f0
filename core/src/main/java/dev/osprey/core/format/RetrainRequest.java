package dev.osprey.core.format;

import java.util.Map;

/**
 * A request to retrain, on the {@code retrain} topic (key: model name).
 *
 * @param reason  why, in words
 * @param who     who asked (a user, {@code http}, {@code cli}, {@code auto})
 * @param options optional: {@code fresh=true} trains from scratch instead of fine-tuning, {@code epochs=N}
 */
public record RetrainRequest(String reason, String who, Map<String, String> options) {

    public RetrainRequest {
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    public static JsonSerde<RetrainRequest> serde() {
        return new JsonSerde<>(RetrainRequest.class);
    }
}
