package dev.osprey.core.format;

/**
 * One record on {@code label-requests}: the classifier was unsure about image {@code id} and asks
 * whoever labels images to label this one first (active learning). Keyed by image id, written in
 * the classifier's transaction with the prediction it is about.
 *
 * @param id         the image id (also the record key)
 * @param model      model name
 * @param version    the version that was unsure
 * @param classIndex the class it predicted
 * @param confidence probability of that class
 * @param margin     probability of the best class minus the second best: small is unsure
 * @param ingestTs   the image record's timestamp (ms since the epoch)
 * @param requestTs  when the request was made (ms since the epoch)
 */
public record LabelRequest(String id, String model, int version, int classIndex, double confidence,
                           double margin, long ingestTs, long requestTs) {

    public static JsonSerde<LabelRequest> serde() {
        return new JsonSerde<>(LabelRequest.class);
    }
}
