package dev.osprey.trainer.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a classifier offline on an in-memory {@link Dataset} and returns its best checkpoint as a
 * {@link ModelArtifact}.
 *
 * <p>The recipe: per-channel normalisation measured on the training set (or the parent's, for a
 * fine-tune); minibatches shuffled with the spec's seed each epoch; softmax cross-entropy; Adam (or
 * SGD with momentum) with a learning rate that decays along a cosine over the planned epochs
 * ({@link LrSchedule}; fewer epochs if the pace so far shows they will not fit in the
 * {@link TimeBudget}); an evaluation on the test set after every epoch. The weights of the epoch with
 * the best test accuracy are kept in memory ({@link BestEpochCheckpoint}) and returned, so a late
 * epoch that overfits or diverges never becomes the result. A non-finite loss rolls the weights back
 * to that checkpoint and continues with a learning rate ten times smaller, at most
 * {@value #MAX_ROLLBACKS} times; no run ever returns NaN weights.
 *
 * <p>Same spec, same data and same PyTorch thread count give the same weights: the seed drives the
 * engine's generator (initialisation, dropout) and the shuffles.
 *
 * <p>Not thread-safe in the sense that the engine's random seed is global: run one training at a
 * time per JVM if runs must be reproducible.
 */
public final class ModelTrainer {

    /** Manifest metric: test accuracy of the returned weights, in [0, 1]. */
    public static final String METRIC_ACCURACY = "testAccuracy";
    /** Manifest metric: mean test cross-entropy of the returned weights. */
    public static final String METRIC_LOSS = "testLoss";
    /** Manifest metric: mean training loss of the returned weights' epoch. */
    public static final String METRIC_TRAIN_LOSS = "trainLoss";
    /** How often a diverging run is rolled back before it gives up. */
    public static final int MAX_ROLLBACKS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(ModelTrainer.class);
    private static final long PROGRESS_INTERVAL_NANOS = 100_000_000L;

    private final Device device;

    /** A trainer on DJL's default device: a GPU if the engine sees one, else the CPU. */
    public ModelTrainer() {
        this(Engine.getEngine(ModelArtifact.ENGINE).defaultDevice());
    }

    public ModelTrainer(Device device) {
        this.device = Objects.requireNonNull(device, "device");
    }

    /**
     * Trains as {@code spec} says on the labelled images of {@code train}, evaluating on {@code test}
     * after each epoch. Blocks until done; interrupting the thread stops it after the current batch.
     *
     * @throws IllegalArgumentException if the datasets disagree with each other or with the parent
     *                                  model (image shape, classes), or {@code train} has no labels
     */
    public TrainingResult train(TrainingSpec spec, Dataset train, Dataset test, TrainingListener listener) {
        Objects.requireNonNull(listener, "listener");
        checkDatasets(spec, train, test);
        return new Run(spec, train, test, listener).execute();
    }

    private static void checkDatasets(TrainingSpec spec, Dataset train, Dataset test) {
        if (!train.inputSpec().equals(test.inputSpec())) {
            throw new IllegalArgumentException("train set " + train.name() + " has images of " + train.inputSpec()
                    + ", test set " + test.name() + " " + test.inputSpec());
        }
        if (!train.classNames().equals(test.classNames())) {
            throw new IllegalArgumentException("train and test sets have different classes: "
                    + train.classNames() + " vs " + test.classNames());
        }
        if (train.classNames().size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, " + train.name() + " has "
                    + train.classNames().size());
        }
        if (Batches.labelled(train).length == 0) {
            throw new IllegalArgumentException("train set " + train.name() + " has no labelled images");
        }
        spec.parent().ifPresent(p -> {
            ModelManifest m = p.manifest();
            if (!m.input().equals(train.inputSpec())) {
                throw new IllegalArgumentException("parent " + m.tag() + " takes " + m.input() + ", the data is "
                        + train.inputSpec());
            }
            if (!m.classes().equals(train.classNames())) {
                throw new IllegalArgumentException("parent " + m.tag() + " has classes " + m.classes()
                        + ", the data " + train.classNames());
            }
        });
    }

    /** How an epoch's training pass ended. */
    private enum PassEnd { DONE, TIME_LIMIT, INTERRUPTED, NON_FINITE }

    /** One training run: its state lives here so the public method stays a recipe. */
    private final class Run {

        private final TrainingSpec spec;
        private final Dataset test;
        private final TrainingListener listener;
        private final InputSpec input;
        private final int classes;
        private final Normalization norm;
        private final int[] trainIndices;
        private final Batches trainBatches;
        private final Random random;
        private final TimeBudget budget;
        private final List<EpochStats> history = new ArrayList<>();
        private final int batchesPerEpoch;
        private final LrSchedule schedule;
        private final BatchStep batchStep;
        private final BestEpochCheckpoint best = new BestEpochCheckpoint();
        private final ManifestBuilder manifest;

        private OptionalDouble parentAccuracy = OptionalDouble.empty();
        private int rollbacks;
        private long step;

        Run(TrainingSpec spec, Dataset train, Dataset test, TrainingListener listener) {
            this.budget = new TimeBudget(spec.maxWallTime());
            this.spec = spec;
            this.test = test;
            this.listener = listener;
            this.input = train.inputSpec();
            this.classes = train.classNames().size();
            this.norm = spec.parent().map(p -> p.manifest().normalization())
                    .orElseGet(() -> Normalization.fromPixels(train.pixels(), train.channels()));
            this.trainIndices = Batches.labelled(train);
            this.trainBatches = new Batches(train, norm);
            this.random = new Random(spec.seed());
            this.batchesPerEpoch = Batches.count(trainIndices.length, spec.batchSize());
            this.schedule = new LrSchedule(spec.learningRate(), batchesPerEpoch, spec.epochs());
            this.batchStep = new BatchStep(input, spec.batchSize());
            this.manifest = new ManifestBuilder(spec, train, test, norm);
        }

        TrainingResult execute() {
            Engine.getEngine(ModelArtifact.ENGINE).setRandomSeed(spec.seed());
            TrainingResult.StopReason stop;
            try (Model model = Model.newInstance(spec.modelName(), device, ModelArtifact.ENGINE)) {
                Block block = spec.architecture().newBlock(input, classes);
                model.setBlock(block);
                spec.parent().ifPresent(p -> BlockWeights.load(block, model.getNDManager(), p.weights()));
                stop = epochs(model, block);
                if (stop == TrainingResult.StopReason.COMPLETED && schedule.plannedEpochs() < spec.epochs()) {
                    stop = TrainingResult.StopReason.TIME_LIMIT;
                }
                if (!best.isMeasured()) {
                    // Nothing was evaluated (interrupted or diverged in the first epoch): measure what we return.
                    best.restore(block, model.getNDManager());
                    Evaluator.Evaluation e = Evaluator.evaluate(model, norm, classes, test);
                    best.measured(e.accuracy(), e.meanLoss());
                }
            }
            Duration elapsed = budget.elapsed();
            ModelManifest m = manifest.build(history.size(), best, stop, rollbacks, elapsed, Instant.now());
            return new TrainingResult(ModelArtifact.of(m, best.weights()), history, best.epoch(), parentAccuracy,
                    stop, rollbacks, elapsed);
        }

        /** The planned epochs, each attempt on a fresh trainer; a divergence rolls back and tries again. */
        private TrainingResult.StopReason epochs(Model model, Block block) {
            int epoch = 1;
            while (epoch <= schedule.plannedEpochs()) {
                PassEnd end = PassEnd.DONE;
                // A fresh trainer per attempt: after a rollback the optimiser's state (Adam's
                // moments) may hold NaN and must start over with the restored weights.
                try (Trainer trainer = model.newTrainer(config())) {
                    trainer.initialize(new Shape(spec.batchSize(), input.channels(), input.height(), input.width()));
                    if (best.isEmpty()) {
                        startingPoint(model, block);
                    }
                    while (epoch <= schedule.plannedEpochs() && end == PassEnd.DONE) {
                        end = epoch(trainer, model, block, epoch);
                        if (end == PassEnd.DONE) {
                            replan(epoch);
                        }
                        if (end != PassEnd.NON_FINITE) {
                            epoch++;
                        }
                    }
                }
                switch (end) {
                    case TIME_LIMIT:
                        return TrainingResult.StopReason.TIME_LIMIT;
                    case INTERRUPTED:
                        return TrainingResult.StopReason.INTERRUPTED;
                    case NON_FINITE:
                        if (!rollBack(model, block, epoch)) {
                            return TrainingResult.StopReason.DIVERGED;
                        }
                        break;
                    default:
                        break;
                }
            }
            return TrainingResult.StopReason.COMPLETED;
        }

        /** Back to the best checkpoint with a smaller learning rate; false once the rollbacks are used up. */
        private boolean rollBack(Model model, Block block, int epoch) {
            best.restore(block, model.getNDManager());
            if (rollbacks >= MAX_ROLLBACKS) {
                LOG.warn("{}: loss still not finite after {} rollbacks; keeping epoch {}",
                        spec.modelName(), rollbacks, best.epoch());
                listener.onRollback(epoch, "loss not finite; giving up", schedule.current());
                return false;
            }
            rollbacks++;
            schedule.shrink(0.1f);
            LOG.warn("{}: loss not finite in epoch {}; back to epoch {}, learning rate now {}",
                    spec.modelName(), epoch, best.epoch(), schedule.current());
            listener.onRollback(epoch, "loss not finite; back to epoch " + best.epoch(), schedule.current());
            return true;
        }

        /**
         * After epoch {@code done}: if the epochs left will not fit in the time budget at the pace so
         * far, plans fewer, so the learning rate still anneals before the end.
         */
        private void replan(int done) {
            int planned = budget.epochsThatFit(done, schedule.plannedEpochs());
            if (planned < schedule.plannedEpochs()) {
                LOG.info("{}: {} epochs of {} fit in the time budget of {}; annealing over {}", spec.modelName(),
                        planned, spec.epochs(), spec.maxWallTime(), planned);
                schedule.plan(planned);
            }
        }

        /** Records the weights training starts from; a fine-tune's parent is measured first. */
        private void startingPoint(Model model, Block block) {
            best.start(block);
            if (spec.isFineTune()) {
                Evaluator.Evaluation e = Evaluator.evaluate(model, norm, classes, test);
                parentAccuracy = OptionalDouble.of(e.accuracy());
                best.measured(e.accuracy(), e.meanLoss());
                LOG.info("{}: parent {} scores {} on {}", spec.modelName(),
                        spec.parent().orElseThrow().manifest().tag(), e, test.name());
            }
        }

        private DefaultTrainingConfig config() {
            Optimizer optimizer = switch (spec.optimizer()) {
                case ADAM -> Optimizer.adam().optLearningRateTracker(schedule)
                        .optWeightDecays(spec.weightDecay()).build();
                case SGD_MOMENTUM -> Optimizer.sgd().setLearningRateTracker(schedule).optMomentum(0.9f)
                        .optWeightDecays(spec.weightDecay()).build();
            };
            return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(optimizer)
                    .optDevices(new Device[] {device});
        }

        /** One epoch: a training pass, then (unless it diverged or was interrupted) an evaluation. */
        private PassEnd epoch(Trainer trainer, Model model, Block block, int epoch) {
            listener.onEpochStart(epoch, schedule.plannedEpochs());
            int[] order = Batches.shuffled(trainIndices, random);
            long passStart = budget.now();
            double lossSum = 0;
            int images = 0;
            int batches = 0;
            PassEnd end = PassEnd.DONE;
            long lastReport = passStart;
            long stepAtStart = step;
            float[] pixels = new float[spec.batchSize() * trainBatches.imageSize()];
            float[] labels = new float[spec.batchSize()];
            for (int b = 0; b < batchesPerEpoch; b++) {
                if (Thread.currentThread().isInterrupted()) {
                    end = PassEnd.INTERRUPTED;
                    break;
                }
                int from = b * spec.batchSize();
                int n = Math.min(spec.batchSize(), order.length - from);
                if (spec.maxShift() > 0) {
                    trainBatches.fillShifted(order, from, n, pixels, labels, random, spec.maxShift());
                } else {
                    trainBatches.fill(order, from, n, pixels, labels);
                }
                schedule.step(step);
                float loss = batchStep.run(trainer, pixels, labels, n);
                if (!Float.isFinite(loss)) {
                    end = PassEnd.NON_FINITE;
                    break;
                }
                step++;
                lossSum += loss;
                images += n;
                batches++;
                long now = budget.now();
                if (now - lastReport >= PROGRESS_INTERVAL_NANOS || b == batchesPerEpoch - 1) {
                    lastReport = now;
                    listener.onBatch(new TrainingListener.BatchProgress(epoch, batches, batchesPerEpoch,
                            lossSum / batches, images / seconds(now - passStart)));
                }
                if (budget.spentAt(now)) {
                    end = PassEnd.TIME_LIMIT;
                    break;
                }
            }
            if (end == PassEnd.NON_FINITE) {
                step = stepAtStart;
                return end;
            }
            if (end == PassEnd.INTERRUPTED || batches == 0) {
                return PassEnd.INTERRUPTED;
            }
            long passNanos = budget.now() - passStart;
            Evaluator.Evaluation e = Evaluator.evaluate(model, norm, classes, test);
            if (!Double.isFinite(e.meanLoss())) {
                // Finite training losses but broken outputs (overflowing weights): treat as divergence.
                step = stepAtStart;
                return PassEnd.NON_FINITE;
            }
            double meanLoss = lossSum / batches;
            EpochStats stats = new EpochStats(epoch, meanLoss, images / seconds(passNanos), Duration.ofNanos(passNanos),
                    e.accuracy(), e.meanLoss(), schedule.current(), end == PassEnd.DONE);
            history.add(stats);
            LOG.info("{}: {}", spec.modelName(), stats);
            best.offer(epoch, e.accuracy(), e.meanLoss(), meanLoss, block);
            listener.onEpochEnd(stats);
            return end;
        }
    }

    private static double seconds(long nanos) {
        return Math.max(nanos, 1) / 1e9;
    }
}
