package dev.osprey.core.topic;

import java.util.List;
import java.util.Map;

/**
 * The names and settings of Osprey's topics, all under one optional prefix
 * ({@code OSPREY_TOPIC_PREFIX}), so several Osprey installations can share a cluster.
 */
public record OspreyTopics(String prefix, int imagePartitions) {

    /** Model artifacts are a few MB (the CNN) to ~2 MB (the MLP); leave room. */
    public static final int MODEL_MAX_BYTES = 64 * 1024 * 1024;
    /** Largest image value accepted on {@code images}; larger ones are dead-lettered. */
    public static final int IMAGE_MAX_BYTES = 8 * 1024 * 1024;
    /**
     * Longest image id (record key, UTF-8) accepted on {@code images}: the id is written twice into
     * each prediction, which must fit a topic with the broker's default {@code max.message.bytes}.
     */
    public static final int IMAGE_ID_MAX_BYTES = 4096;

    public static final int DEFAULT_IMAGE_PARTITIONS = 4;

    public OspreyTopics {
        prefix = prefix == null ? "" : prefix;
        if (imagePartitions <= 0) {
            throw new IllegalArgumentException("image partitions must be positive: " + imagePartitions);
        }
    }

    public static OspreyTopics defaults() {
        return new OspreyTopics("", DEFAULT_IMAGE_PARTITIONS);
    }

    public String images() {
        return prefix + "images";
    }

    public String predictions() {
        return prefix + "predictions";
    }

    /** A challenger's predictions next to the champion's, while one runs in shadow. */
    public String predictionsShadow() {
        return prefix + "predictions-shadow";
    }

    /** Images the classifier was least sure about, for a labeller to answer first. */
    public String labelRequests() {
        return prefix + "label-requests";
    }

    public String deadLetters() {
        return prefix + "images-dlq";
    }

    public String feedback() {
        return prefix + "feedback";
    }

    public String models() {
        return prefix + "models";
    }

    public String retrain() {
        return prefix + "retrain";
    }

    public String trainingEvents() {
        return prefix + "training-events";
    }

    /** Every topic with the configs it is created with. */
    public List<TopicSpec> all() {
        Map<String, String> data = Map.of("max.message.bytes", String.valueOf(IMAGE_MAX_BYTES + 64 * 1024));
        return List.of(
                new TopicSpec(images(), imagePartitions, data),
                new TopicSpec(predictions(), imagePartitions, Map.of()),
                new TopicSpec(predictionsShadow(), imagePartitions, Map.of()),
                new TopicSpec(labelRequests(), imagePartitions, Map.of()),
                new TopicSpec(deadLetters(), imagePartitions, data),
                new TopicSpec(feedback(), imagePartitions, data),
                new TopicSpec(models(), 1, Map.of(
                        "cleanup.policy", "compact",
                        "max.message.bytes", String.valueOf(MODEL_MAX_BYTES),
                        "min.compaction.lag.ms", "60000")),
                new TopicSpec(retrain(), 1, Map.of()),
                new TopicSpec(trainingEvents(), 1, Map.of()));
    }
}
