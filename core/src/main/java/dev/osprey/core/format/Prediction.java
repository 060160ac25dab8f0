package dev.osprey.core.format;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One record on {@code predictions}: what the model said about one image.
 *
 * @param id          the image id (also the record key)
 * @param classIndex  the predicted class
 * @param label       its name
 * @param confidence  softmax probability of the predicted class
 * @param top         the best classes, most probable first
 * @param model       model name
 * @param version     model version that made this prediction
 * @param truth       the ground-truth class from the image's {@code label} header, if it had one
 * @param ingestTs    the input record's timestamp (ms since the epoch)
 * @param classifyTs  when the batch was classified (ms since the epoch)
 * @param latencyMs   {@code classifyTs - ingestTs}
 */
public record Prediction(String id,
                         @JsonProperty("class") int classIndex,
                         String label,
                         double confidence,
                         List<Scored> top,
                         String model,
                         int version,
                         Integer truth,
                         long ingestTs,
                         long classifyTs,
                         long latencyMs) {

    public Prediction {
        top = top == null ? List.of() : List.copyOf(top);
    }

    /** One entry of {@link #top}. */
    public record Scored(@JsonProperty("class") int classIndex, String label, double p) {
    }

    /** {@code true} when the image had a ground truth and the prediction matches it. */
    public boolean correct() {
        return truth != null && truth == classIndex;
    }

    public static JsonSerde<Prediction> serde() {
        return new JsonSerde<>(Prediction.class);
    }
}
