package dev.osprey.trainer.live;

import dev.osprey.core.format.JsonSerde;

/**
 * The part of a {@code predictions} record live accuracy needs, kept small because the join holds
 * one per prediction for the whole join window.
 *
 * @param model      model name
 * @param version    model version that made the prediction
 * @param classIndex the predicted class
 */
public record PredictedClass(String model, int version, int classIndex) {

    public static JsonSerde<PredictedClass> serde() {
        return new JsonSerde<>(PredictedClass.class);
    }
}
