package dev.osprey.trainer.train;

import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything that decides how a model is trained. Immutable; start from {@link #defaults(Architecture)}
 * and change what you need with the {@code with*} methods.
 *
 * @param architecture the network to train; for a fine-tune it must be the parent's
 * @param epochs       passes over the training set (at most; see {@code maxWallTime})
 * @param batchSize    images per optimiser step
 * @param learningRate the peak learning rate; it decays along a cosine to 5% of it by the last epoch
 * @param optimizer    the update rule
 * @param weightDecay  L2 penalty added by the optimiser, 0 for none
 * @param maxShift     augmentation: each training image is moved by up to this many pixels along
 *                     each axis (a fresh random offset per image and epoch), 0 for none
 * @param seed         seeds the weight initialisation, the shuffles and dropout: same seed, same
 *                     data, same thread count, same weights
 * @param modelName    the name the artifact gets (the key on the {@code models} topic)
 * @param parent       the model to fine-tune from, or empty to train from scratch
 * @param maxWallTime  the time budget: after each epoch, if the rest will not fit at the pace so far,
 *                     fewer epochs are planned (the learning rate still anneals); a batch that crosses
 *                     it ends training there, evaluated, keeping the best so far
 */
public record TrainingSpec(Architecture architecture, int epochs, int batchSize, float learningRate,
                           OptimizerKind optimizer, float weightDecay, int maxShift, int seed, String modelName,
                           Optional<ModelArtifact> parent, Duration maxWallTime) {

    /** The update rules the trainer offers. */
    public enum OptimizerKind {
        /** Adam (beta1 0.9, beta2 0.999): robust across the architectures, the default. */
        ADAM,
        /** SGD with Nesterov-free momentum 0.9. */
        SGD_MOMENTUM
    }

    public TrainingSpec {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(maxWallTime, "maxWallTime");
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1: " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1: " + batchSize);
        }
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive and finite: " + learningRate);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be >= 0 and finite: " + weightDecay);
        }
        if (maxShift < 0) {
            throw new IllegalArgumentException("max shift must be >= 0: " + maxShift);
        }
        if (modelName.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (maxWallTime.isNegative() || maxWallTime.isZero()) {
            throw new IllegalArgumentException("max wall time must be positive: " + maxWallTime);
        }
        parent.ifPresent(p -> {
            if (!p.manifest().architecture().equals(architecture.id())) {
                throw new IllegalArgumentException("cannot fine-tune a " + p.manifest().architecture()
                        + " model (" + p.manifest().tag() + ") as " + architecture.id());
            }
        });
    }

    /**
     * Settings that reach the documented accuracies on Fashion-MNIST (mlp, cnn) in a few minutes on
     * two CPU cores; see {@code docs/BENCHMARKS.md (training)}.
     */
    public static TrainingSpec defaults(Architecture architecture) {
        return switch (architecture) {
            case MLP -> new TrainingSpec(architecture, 30, 128, 1e-3f, OptimizerKind.ADAM, 0f, 1, 42, "mlp",
                    Optional.empty(), Duration.ofMinutes(10));
            case CNN -> new TrainingSpec(architecture, 4, 64, 2e-3f, OptimizerKind.ADAM, 0f, 0, 42, "cnn",
                    Optional.empty(), Duration.ofMinutes(5));
            case CIFAR_CNN -> new TrainingSpec(architecture, 15, 64, 1e-3f, OptimizerKind.ADAM, 0f, 2, 42,
                    "cifar-cnn", Optional.empty(), Duration.ofMinutes(30));
        };
    }

    /** Whether this run starts from a parent model's weights. */
    public boolean isFineTune() {
        return parent.isPresent();
    }

    public TrainingSpec withEpochs(int n) {
        return new TrainingSpec(architecture, n, batchSize, learningRate, optimizer, weightDecay,
                maxShift, seed, modelName, parent, maxWallTime);
    }

    public TrainingSpec withBatchSize(int n) {
        return new TrainingSpec(architecture, epochs, n, learningRate, optimizer, weightDecay,
                maxShift, seed, modelName, parent, maxWallTime);
    }

    public TrainingSpec withLearningRate(float lr) {
        return new TrainingSpec(architecture, epochs, batchSize, lr, optimizer, weightDecay,
                maxShift, seed, modelName, parent, maxWallTime);
    }

    public TrainingSpec withOptimizer(OptimizerKind kind) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, kind, weightDecay,
                maxShift, seed, modelName, parent, maxWallTime);
    }

    public TrainingSpec withWeightDecay(float decay) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, decay,
                maxShift, seed, modelName, parent, maxWallTime);
    }

    public TrainingSpec withMaxShift(int pixels) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, weightDecay,
                pixels, seed, modelName, parent, maxWallTime);
    }

    public TrainingSpec withSeed(int s) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, weightDecay,
                maxShift, s, modelName, parent, maxWallTime);
    }

    public TrainingSpec withModelName(String name) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, weightDecay,
                maxShift, seed, name, parent, maxWallTime);
    }

    public TrainingSpec withMaxWallTime(Duration limit) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, weightDecay,
                maxShift, seed, modelName, parent, limit);
    }

    /** Fine-tune from {@code model}: same architecture, its normalisation and classes are kept. */
    public TrainingSpec withParent(ModelArtifact model) {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, weightDecay,
                maxShift, seed, modelName, Optional.of(model), maxWallTime);
    }

    /** Train from scratch. */
    public TrainingSpec fresh() {
        return new TrainingSpec(architecture, epochs, batchSize, learningRate, optimizer, weightDecay,
                maxShift, seed, modelName, Optional.empty(), maxWallTime);
    }
}
