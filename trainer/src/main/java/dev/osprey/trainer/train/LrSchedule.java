package dev.osprey.trainer.train;

import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;

/**
 * The learning rate the optimiser reads at each update: DJL's {@link CosineTracker} from the peak
 * down to {@value #FINAL_FRACTION} of it over the planned epochs.
 *
 * <p>The trainer moves it with {@link #step(long)} from its own step count rather than letting the
 * optimiser pass its update count, because the optimiser is rebuilt after a rollback and would start
 * counting from zero again. Two things change the curve: {@link #plan(int)} when the time budget
 * allows fewer epochs (so the rate still anneals before the end), and {@link #shrink(float)} after a
 * divergence.
 */
final class LrSchedule implements Tracker {

    /** Where the cosine ends, as a fraction of the peak. */
    static final float FINAL_FRACTION = 0.05f;

    private final float peak;
    private final long stepsPerEpoch;
    private int plannedEpochs;
    private float scale = 1f;
    private CosineTracker cosine;
    private float value;

    /**
     * @param peak          the learning rate at step 0, positive
     * @param stepsPerEpoch updates per epoch (at least 1 is assumed)
     * @param epochs        epochs planned, positive
     */
    LrSchedule(float peak, long stepsPerEpoch, int epochs) {
        if (!(peak > 0) || !Float.isFinite(peak)) {
            throw new IllegalArgumentException("peak learning rate must be positive and finite, was " + peak);
        }
        this.peak = peak;
        this.stepsPerEpoch = Math.max(1, stepsPerEpoch);
        this.value = peak;
        plan(epochs);
    }

    /** Sets the rate for global update {@code step} (0-based); later steps than planned get the floor. */
    void step(long step) {
        value = cosine.getNewValue((int) Math.min(step, Integer.MAX_VALUE));
    }

    int plannedEpochs() {
        return plannedEpochs;
    }

    /** Stretches or squeezes the cosine over {@code epochs} epochs from step 0. */
    void plan(int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be positive, was " + epochs);
        }
        plannedEpochs = epochs;
        rebuild();
    }

    /** Scales the whole curve, and the current rate at once, by {@code factor}. */
    void shrink(float factor) {
        scale *= factor;
        value *= factor;
        rebuild();
    }

    /** The rate set by the last {@link #step(long)} (or the peak before the first). */
    float current() {
        return value;
    }

    @Override
    public float getNewValue(int numUpdate) {
        return value;
    }

    private void rebuild() {
        float base = peak * scale;
        long updates = Math.min(stepsPerEpoch * plannedEpochs, Integer.MAX_VALUE);
        cosine = Tracker.cosine().setBaseValue(base).optFinalValue(base * FINAL_FRACTION)
                .setMaxUpdates((int) updates).build();
    }
}
