package dev.osprey.trainer.feedback;

/** The two shapes a {@code feedback} record comes in; the lower-case id is the metric tag. */
public enum FeedbackKind {
    /** An image with a {@code label} header. */
    IMAGE("image"),
    /** A label-only JSON correction that refers to an image on {@code images}. */
    CORRECTION("correction");

    private final String id;

    FeedbackKind(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
