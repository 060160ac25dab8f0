package dev.osprey.trainer.run;

/**
 * How a candidate is judged.
 *
 * <p>The held-out data never trains a candidate. It is a share of the feedback, chosen by a hash of
 * the image id (so an image stays on the same side across runs and restarts), plus the first images
 * of the dataset's test split. Half of the held-out feedback and a second slice of the test split
 * pick the best epoch (validation); the other half and the first slice score the candidate against
 * the serving model (the gate). Keeping the two apart means the gate's score is not the maximum of
 * several looks at the same images.
 *
 * @param heldOutPercent share of feedback held out, in percent (half for validation, half for the gate)
 * @param tolerance      a candidate is published if its gate accuracy is at least the serving
 *                       model's minus this
 * @param testImages     images of the test split in the gate (the first ones)
 * @param validationImages images of the test split, after the gate's, that pick the best epoch
 */
public record GateSettings(int heldOutPercent, double tolerance, int testImages, int validationImages) {

    public static final int DEFAULT_HELD_OUT_PERCENT = 20;
    public static final double DEFAULT_TOLERANCE = 0.005;
    public static final int DEFAULT_TEST_IMAGES = 2000;
    public static final int DEFAULT_VALIDATION_IMAGES = 1000;

    public GateSettings {
        if (heldOutPercent < 2 || heldOutPercent > 50) {
            throw new IllegalArgumentException("held-out share must be in [2, 50] percent: " + heldOutPercent);
        }
        if (!(tolerance >= 0 && tolerance < 1)) {
            throw new IllegalArgumentException("--tolerance must be in [0, 1): " + tolerance);
        }
        if (testImages < 1) {
            throw new IllegalArgumentException("gate test images must be >= 1: " + testImages);
        }
        if (validationImages < 1) {
            throw new IllegalArgumentException("validation images must be >= 1: " + validationImages);
        }
    }

    public static GateSettings defaults() {
        return new GateSettings(DEFAULT_HELD_OUT_PERCENT, DEFAULT_TOLERANCE, DEFAULT_TEST_IMAGES,
                DEFAULT_VALIDATION_IMAGES);
    }

    public GateSettings withTestImages(int gate, int validation) {
        return new GateSettings(heldOutPercent, tolerance, gate, validation);
    }

    public GateSettings withTolerance(double t) {
        return new GateSettings(heldOutPercent, t, testImages, validationImages);
    }
}
