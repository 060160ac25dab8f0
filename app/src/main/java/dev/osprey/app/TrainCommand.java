package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Datasets;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.publish.SeedModel;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey train}: trains a model offline, writes it to a file and/or publishes it. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a model on a dataset's train split, prints per-epoch loss and test accuracy, "
                + "keeps the best epoch, and writes the artifact (--out) and/or publishes it to 'models' (--publish).")
final class TrainCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--arch", defaultValue = "mlp", description = "mlp, cnn or cifar-cnn (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--epochs", description = "Epochs (default: the architecture's recipe).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Minibatch size (default: the architecture's recipe).")
    Integer batchSize;

    @Option(names = "--lr", description = "Learning rate (default: the architecture's recipe).")
    Float learningRate;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    int seed;

    @Option(names = "--max-minutes", description = "Stop training after this many minutes; the best epoch is kept.")
    Double maxMinutes;

    @Option(names = "--name", description = "Model name (default: the dataset directory's name).")
    String name;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the model artifact to FILE.")
    Path out;

    @Option(names = "--publish", description = "Publish the model to the 'models' topic as the next version.")
    boolean publish;

    @Mixin
    KafkaOptions kafka;

    TrainingSpec spec(Path dataPath) {
        TrainingSpec spec = TrainingSpec.defaults(Architecture.fromId(arch))
                .withSeed(seed)
                .withModelName(name != null ? name : SeedModel.defaultName(dataPath));
        if (epochs != null) {
            spec = spec.withEpochs(epochs);
        }
        if (batchSize != null) {
            spec = spec.withBatchSize(batchSize);
        }
        if (learningRate != null) {
            spec = spec.withLearningRate(learningRate);
        }
        if (maxMinutes != null) {
            if (!(maxMinutes > 0)) {
                throw new IllegalArgumentException("--max-minutes must be positive: " + maxMinutes);
            }
            spec = spec.withMaxWallTime(Duration.ofMillis((long) (maxMinutes * 60_000)));
        }
        return spec;
    }

    @Override
    public Integer call() throws Exception {
        if (out == null && !publish) {
            throw new IllegalArgumentException("nothing to do with the model: give --out FILE and/or --publish");
        }
        Path dataPath = data.resolve(false);
        TrainingSpec spec = spec(dataPath);
        KafkaSettings settings = null;
        if (publish) {
            // Checked before minutes of training. And before any producer touches 'models': a broker
            // that auto-creates topics would make it with one partition, the delete policy and a 1 MB limit.
            settings = kafka.settings();
            TopicAdmin.ensureTopics(settings);
        }
        Dataset train = Datasets.load(dataPath, Split.TRAIN);
        Dataset test = Datasets.load(dataPath, Split.TEST);
        System.err.printf(Locale.ROOT, "training %s '%s' on %s (%,d images), testing on %s (%,d images)%n",
                spec.architecture().id(), spec.modelName(), train.name(), train.size(), test.name(), test.size());
        TrainingResult result = new ModelTrainer().train(spec, train, test, ConsoleTrainingListener.onStderr());
        ModelArtifact artifact = result.artifact();
        System.out.printf(Locale.ROOT, "best epoch %d: test accuracy %.4f (%s, %.1f s)%n", result.bestEpoch(),
                result.testAccuracy(), result.stopReason().name().toLowerCase(Locale.ROOT),
                result.elapsed().toMillis() / 1000.0);
        if (out != null) {
            artifact.write(out);
            System.out.println("wrote " + out);
        }
        if (settings != null) {
            try (ModelPublisher publisher = new ModelPublisher(settings,
                    "osprey-train-" + spec.modelName())) {
                ModelManifest m = publisher.publish(artifact, spec.modelName(), 0);
                System.out.println("published " + m.tag());
            }
        }
        return 0;
    }
}
