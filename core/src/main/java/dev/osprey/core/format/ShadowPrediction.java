package dev.osprey.core.format;

/**
 * One record on {@code predictions-shadow}: a challenger's answer for an image next to the
 * champion's, made in the same batch from the same input tensor. Keyed by image id, so the trainer
 * joins it with the image's feedback label and gets a pair (champion right?, challenger right?).
 *
 * @param id                the image id (also the record key)
 * @param model             model name
 * @param championVersion   the serving version
 * @param championClass     the class it predicted (the one on {@code predictions})
 * @param challengerVersion the version in shadow
 * @param challengerClass   the class the challenger predicted
 * @param challengerConfidence probability the challenger gave its class
 * @param classifyTs        when the batch was classified (ms since the epoch)
 */
public record ShadowPrediction(String id, String model, int championVersion, int championClass,
                               int challengerVersion, int challengerClass, double challengerConfidence,
                               long classifyTs) {

    public static JsonSerde<ShadowPrediction> serde() {
        return new JsonSerde<>(ShadowPrediction.class);
    }
}
