package dev.osprey.core.format;

/**
 * A label-only correction on {@code feedback}: "image {@code id} is really class {@code label}".
 * The trainer joins it with the image on {@code images} by id.
 *
 * @param id    the image id (also the record key)
 * @param label the true class index
 * @param who   who labelled it (optional)
 */
public record FeedbackCorrection(String id, int label, String who) {

    public static final String CONTENT_TYPE = "application/json";

    public static JsonSerde<FeedbackCorrection> serde() {
        return new JsonSerde<>(FeedbackCorrection.class);
    }
}
