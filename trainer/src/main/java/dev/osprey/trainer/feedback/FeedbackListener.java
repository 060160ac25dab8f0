package dev.osprey.trainer.feedback;

/**
 * Hears the feedback flow, on a stream thread: keep it quick. For metrics and the every-N trigger.
 */
public interface FeedbackListener {

    /** A well-formed {@code feedback} record of {@code kind} arrived. */
    void received(FeedbackKind kind);

    /** An example was stored, ready to train on: a labelled image, or a correction joined to its image. */
    void stored(String id, LabelledExample example);
}
