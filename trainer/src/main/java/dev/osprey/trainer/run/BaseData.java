package dev.osprey.trainer.run;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetException;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The dataset a trainer starts from: its train split keeps a fine-tune from forgetting what the
 * model knew, its test split is the fixed part of the held-out data.
 *
 * @param train images drawn into each run's training mix
 * @param test  the first images score candidates (the gate), the next ones pick the best epoch
 */
public record BaseData(Dataset train, Dataset test) {

    public BaseData {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (!train.inputSpec().equals(test.inputSpec())) {
            throw new IllegalArgumentException("train split " + train.name() + " has images of " + train.inputSpec()
                    + ", test split " + test.name() + " " + test.inputSpec());
        }
        if (!train.classNames().equals(test.classNames())) {
            throw new IllegalArgumentException("train and test splits have different classes: "
                    + train.classNames() + " vs " + test.classNames());
        }
        if (train.classNames().size() < 2) {
            throw new IllegalArgumentException("the dataset needs at least 2 class names, " + train.name() + " has "
                    + train.classNames().size());
        }
        if (test.size() < 2) {
            throw new IllegalArgumentException("test split " + test.name() + " has " + test.size()
                    + " images; the gate needs some");
        }
    }

    /** Both splits of the dataset at {@code path}. */
    public static BaseData load(Path path) throws DatasetException {
        return new BaseData(Datasets.load(path, Split.TRAIN), Datasets.load(path, Split.TEST));
    }
}
