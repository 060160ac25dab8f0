package dev.osprey.bench.training;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.Architecture;
import dev.osprey.trainer.train.EpochStats;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The full Fashion-MNIST runs behind docs/BENCHMARKS.md (training); a program that prints numbers,
 * not a test (minutes long). The dataset is {@code $OSPREY_DATA}, else Debian's Fashion-MNIST.
 * Arguments: architecture id, then optionally epochs, batch size, learning rate, max shift, optimizer
 * ({@code adam} or {@code sgd}), weight decay, and an output file; {@code -} keeps a default.
 */
public final class MeasureTraining {

    private MeasureTraining() {
    }

    public static void main(String[] args) throws Exception {
        Architecture arch = Architecture.fromId(args.length > 0 ? args[0] : "mlp");
        TrainingSpec spec = TrainingSpec.defaults(arch);
        if (given(args, 1)) {
            spec = spec.withEpochs(Integer.parseInt(args[1]));
        }
        if (given(args, 2)) {
            spec = spec.withBatchSize(Integer.parseInt(args[2]));
        }
        if (given(args, 3)) {
            spec = spec.withLearningRate(Float.parseFloat(args[3]));
        }
        if (given(args, 4)) {
            spec = spec.withMaxShift(Integer.parseInt(args[4]));
        }
        if (given(args, 5)) {
            spec = spec.withOptimizer(args[5].startsWith("sgd")
                    ? TrainingSpec.OptimizerKind.SGD_MOMENTUM : TrainingSpec.OptimizerKind.ADAM);
        }
        if (given(args, 6)) {
            spec = spec.withWeightDecay(Float.parseFloat(args[6]));
        }
        Path data = DatasetLocator.resolve(null, System.getenv());
        Dataset train = Datasets.load(data, Split.TRAIN);
        Dataset test = Datasets.load(data, Split.TEST);
        System.out.println(spec);
        TrainingResult r = new ModelTrainer().train(spec, train, test, new TrainingListener() {
            @Override
            public void onEpochEnd(EpochStats stats) {
                Runtime rt = Runtime.getRuntime();
                System.out.println(stats + ", rss " + rssMegabytes() + " MB, java heap committed "
                        + rt.totalMemory() / (1 << 20) + " MB");
            }
        });
        System.out.printf("best epoch %d, test accuracy %.4f, stop %s, %s total%n", r.bestEpoch(),
                r.testAccuracy(), r.stopReason(), r.elapsed());
        if (given(args, 7)) {
            r.artifact().write(Path.of(args[7]));
        }
    }

    /** Resident memory of this process (native memory included), from /proc; -1 elsewhere. */
    private static long rssMegabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static boolean given(String[] args, int i) {
        return args.length > i && !args[i].equals("-");
    }
}
