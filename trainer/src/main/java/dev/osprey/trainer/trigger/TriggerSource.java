package dev.osprey.trainer.trigger;

/** What asked for a run; the id is the {@code trigger} metric tag and the field on {@code training-events}. */
public enum TriggerSource {
    /** A record on the {@code retrain} topic. */
    RETRAIN_TOPIC("retrain-topic"),
    /** {@code osprey retrain}, which writes a record on {@code retrain} with {@code who=cli}. */
    CLI("cli"),
    /** {@code POST /retrain}. */
    HTTP("http"),
    /** Every N new feedback records. */
    FEEDBACK_COUNT("feedback-count"),
    /** Live accuracy fell below the threshold. */
    LIVE_ACCURACY("live-accuracy");

    private final String id;

    TriggerSource(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** True for the triggers the trainer raises by itself, false for a run a person or program asked for. */
    public boolean automatic() {
        return this == FEEDBACK_COUNT || this == LIVE_ACCURACY;
    }
}
