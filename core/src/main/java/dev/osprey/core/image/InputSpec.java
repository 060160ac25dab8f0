package dev.osprey.core.image;

import java.util.Locale;

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

    /**
     * Parses {@code CxHxW}, e.g. {@code 1x28x28}, as {@link #toString()} writes it.
     *
     * @throws IllegalArgumentException saying what the text should look like
     */
    public static InputSpec parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().toLowerCase(Locale.ROOT).split("x");
        if (parts.length != 3) {
            throw new IllegalArgumentException("input shape must be CxHxW, e.g. 1x28x28, not '" + text + "'");
        }
        try {
            return new InputSpec(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                    Integer.parseInt(parts[2].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("input shape must be CxHxW, e.g. 1x28x28, not '" + text + "'", e);
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
