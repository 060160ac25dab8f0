package dev.osprey.trainer.train;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.Architecture;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The full Fashion-MNIST runs behind docs/TRAINING-NOTES.md; a program, not a test (minutes long).
 * Arguments: architecture id, then optionally epochs, batch size, learning rate, and an output file.
 */
public final class MeasureTraining {

    private MeasureTraining() {
    }

    public static void main(String[] args) throws Exception {
        Architecture arch = Architecture.fromId(args.length > 0 ? args[0] : "mlp");
        TrainingSpec spec = TrainingSpec.defaults(arch).withMaxWallTime(Duration.ofMinutes(30));
        if (args.length > 1) {
            spec = spec.withEpochs(Integer.parseInt(args[1]));
        }
        if (args.length > 2) {
            spec = spec.withBatchSize(Integer.parseInt(args[2]));
        }
        if (args.length > 3) {
            spec = spec.withLearningRate(Float.parseFloat(args[3]));
        }
        Dataset train = FashionMnist.load(Split.TRAIN);
        Dataset test = FashionMnist.load(Split.TEST);
        System.out.println(spec);
        TrainingResult r = new ModelTrainer().train(spec, train, test, new TrainingListener() {
            @Override
            public void onEpochEnd(EpochStats stats) {
                System.out.println(stats);
            }
        });
        System.out.printf("best epoch %d, test accuracy %.4f, stop %s, %s total%n", r.bestEpoch(),
                r.testAccuracy(), r.stopReason(), r.elapsed());
        if (args.length > 4) {
            r.artifact().write(Path.of(args[4]));
        }
    }
}
