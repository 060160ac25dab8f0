package dev.osprey.core.dataset;

import java.util.Locale;

/** Which part of a dataset: the training or the test split. */
public enum Split {
    TRAIN, TEST;

    /** Lower-case name as used on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
