package dev.osprey.trainer.feedback;

import java.util.Objects;

/**
 * One parsed {@code feedback} record: a true label and, for {@link FeedbackKind#IMAGE}, the image
 * itself (a correction's image comes from {@code images} by the join).
 *
 * @param kind  which shape the record had
 * @param label the true class index
 * @param image the image: always for {@code IMAGE}; for {@code CORRECTION} null until joined
 */
public record FeedbackItem(FeedbackKind kind, int label, ImageEnvelope image) {

    public FeedbackItem {
        Objects.requireNonNull(kind, "kind");
        if (label < 0) {
            throw new IllegalArgumentException("label must be >= 0: " + label);
        }
        if (kind == FeedbackKind.IMAGE && image == null) {
            throw new IllegalArgumentException("image feedback needs an image");
        }
    }

    /** This correction with the image it refers to, joined from {@code images}. */
    public FeedbackItem withImage(ImageEnvelope joined) {
        return new FeedbackItem(kind, label, Objects.requireNonNull(joined, "joined"));
    }
}
