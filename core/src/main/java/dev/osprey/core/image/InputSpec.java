package dev.osprey.core.image;

/** The tensor shape a model takes for one image: channels x height x width (CHW). */
public record InputSpec(int channels, int height, int width) {

    public InputSpec {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, not " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("input size must be positive: " + height + "x" + width);
        }
    }

    /** Number of floats one image occupies. */
    public int size() {
        return channels * height * width;
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
