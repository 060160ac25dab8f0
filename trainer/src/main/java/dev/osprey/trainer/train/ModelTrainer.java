package dev.osprey.trainer.train;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * SGD with momentum) with a learning rate that decays along a cosine over the planned epochs (fewer,
 * if the pace so far shows they will not fit in the time budget); an evaluation on the test set after every
 * epoch. The weights of the epoch with the best test accuracy are kept in memory and returned, so a
 * late epoch that overfits or diverges never becomes the result. A non-finite loss rolls the weights
 * back to that checkpoint and continues with a learning rate ten times smaller, at most
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
    private static final float FINAL_LR_FRACTION = 0.05f;
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

    /**
     * The learning rate the optimiser reads at each update: a cosine from the peak down to
     * {@value #FINAL_LR_FRACTION} of it over the planned epochs. The training loop sets it per step
     * from the step count alone, so a run is reproducible; only when the time budget forces fewer
     * epochs does the plan (and so the curve) change.
     */
    private static final class Schedule implements Tracker {

        private final float peak;
        private final long stepsPerEpoch;
        private int plannedEpochs;
        private float scale = 1f;
        private float value;

        Schedule(float peak, long stepsPerEpoch, int epochs) {
            this.peak = peak;
            this.stepsPerEpoch = Math.max(1, stepsPerEpoch);
            this.plannedEpochs = epochs;
            this.value = peak;
        }

        void step(long step) {
            double progress = Math.min(1.0, (double) step / (stepsPerEpoch * plannedEpochs));
            double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
            value = (float) (peak * scale * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * cosine));
        }

        int plannedEpochs() {
            return plannedEpochs;
        }

        void plan(int epochs) {
            plannedEpochs = epochs;
        }

        void shrink(float factor) {
            scale *= factor;
            value *= factor;
        }

        float current() {
            return value;
        }

        @Override
        public float getNewValue(int numUpdate) {
            return value;
        }
    }

    /** How an epoch's training pass ended. */
    private enum PassEnd { DONE, TIME_LIMIT, INTERRUPTED, NON_FINITE }

    /** One training run: its state lives here so the public method stays a recipe. */
    private final class Run {

        private final TrainingSpec spec;
        private final Dataset train;
        private final Dataset test;
        private final TrainingListener listener;
        private final InputSpec input;
        private final int classes;
        private final Normalization norm;
        private final int[] trainIndices;
        private final Batches trainBatches;
        private final Random random;
        private final long startNanos = System.nanoTime();
        private final List<EpochStats> history = new ArrayList<>();
        private final int batchesPerEpoch;
        private final Schedule schedule;
        private final DirectInput pixelInput;
        private final DirectInput labelInput;

        private byte[] bestWeights;
        private int bestEpoch;
        private double bestAccuracy = Double.NEGATIVE_INFINITY;
        private double bestTestLoss = Double.NaN;
        private double bestTrainLoss = Double.NaN;
        private OptionalDouble parentAccuracy = OptionalDouble.empty();
        private int rollbacks;
        private long step;

        Run(TrainingSpec spec, Dataset train, Dataset test, TrainingListener listener) {
            this.spec = spec;
            this.train = train;
            this.test = test;
            this.listener = listener;
            this.input = train.inputSpec();
            this.classes = train.classNames().size();
            this.norm = spec.parent().map(p -> p.manifest().normalization())
                    .orElseGet(() -> Normalization.fromPixels(train.pixels(), train.channels()));
            this.trainIndices = Batches.labelled(train);
            this.trainBatches = new Batches(train, norm);
            this.random = new Random(spec.seed());
            this.batchesPerEpoch = batchCount(trainIndices.length, spec.batchSize());
            this.schedule = new Schedule(spec.learningRate(), batchesPerEpoch, spec.epochs());
            this.pixelInput = new DirectInput(spec.batchSize() * trainBatches.imageSize());
            this.labelInput = new DirectInput(spec.batchSize());
        }

        TrainingResult execute() {
            Engine.getEngine(ModelArtifact.ENGINE).setRandomSeed(spec.seed());
            TrainingResult.StopReason stop = TrainingResult.StopReason.COMPLETED;
            try (Model model = Model.newInstance(spec.modelName(), device, ModelArtifact.ENGINE)) {
                Block block = spec.architecture().newBlock(input, classes);
                model.setBlock(block);
                spec.parent().ifPresent(p -> load(block, model.getNDManager(), p.weights()));
                int epoch = 1;
                while (epoch <= schedule.plannedEpochs()) {
                    PassEnd end;
                    // A fresh trainer per attempt: after a rollback the optimiser's state (Adam's
                    // moments) may hold NaN and must start over with the restored weights.
                    try (Trainer trainer = model.newTrainer(config())) {
                        trainer.initialize(new Shape(spec.batchSize(), input.channels(), input.height(),
                                input.width()));
                        if (bestWeights == null) {
                            startingPoint(model, block);
                        }
                        end = PassEnd.DONE;
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
                    if (end == PassEnd.TIME_LIMIT) {
                        stop = TrainingResult.StopReason.TIME_LIMIT;
                        break;
                    }
                    if (end == PassEnd.INTERRUPTED) {
                        stop = TrainingResult.StopReason.INTERRUPTED;
                        break;
                    }
                    if (end == PassEnd.NON_FINITE) {
                        load(block, model.getNDManager(), bestWeights);
                        if (rollbacks >= MAX_ROLLBACKS) {
                            LOG.warn("{}: loss still not finite after {} rollbacks; keeping epoch {}",
                                    spec.modelName(), rollbacks, bestEpoch);
                            listener.onRollback(epoch, "loss not finite; giving up", schedule.current());
                            stop = TrainingResult.StopReason.DIVERGED;
                            break;
                        }
                        rollbacks++;
                        schedule.shrink(0.1f);
                        LOG.warn("{}: loss not finite in epoch {}; back to epoch {}, learning rate now {}",
                                spec.modelName(), epoch, bestEpoch, schedule.current());
                        listener.onRollback(epoch, "loss not finite; back to epoch " + bestEpoch,
                                schedule.current());
                    }
                }
                if (stop == TrainingResult.StopReason.COMPLETED && schedule.plannedEpochs() < spec.epochs()) {
                    stop = TrainingResult.StopReason.TIME_LIMIT;
                }
                if (bestAccuracy == Double.NEGATIVE_INFINITY) {
                    // Nothing was evaluated (interrupted or diverged in the first epoch): measure what we return.
                    load(block, model.getNDManager(), bestWeights);
                    Evaluator.Evaluation e = Evaluator.evaluate(model, norm, classes, test);
                    bestAccuracy = e.accuracy();
                    bestTestLoss = e.meanLoss();
                }
            }
            return result(stop);
        }

        /**
         * After epoch {@code done}: if the epochs left will not fit in the time budget at the pace so
         * far (evaluations included), plans fewer, so the learning rate still anneals before the end.
         */
        private void replan(int done) {
            long elapsed = System.nanoTime() - startNanos;
            double perEpoch = (double) elapsed / done;
            long left = spec.maxWallTime().toNanos() - elapsed;
            int fit = (int) Math.max(0, Math.floor(left / perEpoch));
            int planned = Math.min(schedule.plannedEpochs(), done + fit);
            if (planned < schedule.plannedEpochs()) {
                LOG.info("{}: {} epochs of {} fit in the time budget of {}; annealing over {}", spec.modelName(),
                        planned, spec.epochs(), spec.maxWallTime(), planned);
                schedule.plan(planned);
            }
        }

        /** Records the weights training starts from; a fine-tune's parent is measured first. */
        private void startingPoint(Model model, Block block) {
            bestWeights = save(block);
            bestEpoch = 0;
            if (spec.isFineTune()) {
                Evaluator.Evaluation e = Evaluator.evaluate(model, norm, classes, test);
                parentAccuracy = OptionalDouble.of(e.accuracy());
                bestAccuracy = e.accuracy();
                bestTestLoss = e.meanLoss();
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
            int[] order = shuffled();
            long passStart = System.nanoTime();
            double lossSum = 0;
            int images = 0;
            int batches = 0;
            PassEnd end = PassEnd.DONE;
            long lastReport = passStart;
            long stepAtStart = step;
            int size = trainBatches.imageSize();
            float[] pixels = new float[spec.batchSize() * size];
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
                float loss = step(trainer, pixels, labels, n);
                if (!Float.isFinite(loss)) {
                    end = PassEnd.NON_FINITE;
                    break;
                }
                step++;
                lossSum += loss;
                images += n;
                batches++;
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_INTERVAL_NANOS || b == batchesPerEpoch - 1) {
                    lastReport = now;
                    listener.onBatch(new TrainingListener.BatchProgress(epoch, batches, batchesPerEpoch,
                            lossSum / batches, images / seconds(now - passStart)));
                }
                if (now - startNanos > spec.maxWallTime().toNanos()) {
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
            long passNanos = System.nanoTime() - passStart;
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
            if (e.accuracy() > bestAccuracy) {
                bestAccuracy = e.accuracy();
                bestTestLoss = e.meanLoss();
                bestTrainLoss = meanLoss;
                bestEpoch = epoch;
                bestWeights = save(block);
            }
            listener.onEpochEnd(stats);
            return end;
        }

        /** Forward, backward and update for one batch; returns the batch loss. */
        private float step(Trainer trainer, float[] pixels, float[] labels, int n) {
            // One manager per batch: inputs, activations and the loss are freed when it closes.
            try (NDManager manager = trainer.getManager().newSubManager()) {
                NDArray x = pixelInput.create(manager, pixels,
                        new Shape(n, input.channels(), input.height(), input.width()));
                NDArray y = labelInput.create(manager, labels, new Shape(n));
                float loss;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList predictions = trainer.forward(new NDList(x));
                    NDArray lossArray = trainer.getLoss().evaluate(new NDList(y), predictions);
                    loss = lossArray.getFloat();
                    if (!Float.isFinite(loss)) {
                        return loss;
                    }
                    collector.backward(lossArray);
                }
                trainer.step();
                return loss;
            }
        }

        private int[] shuffled() {
            int[] order = trainIndices.clone();
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            return order;
        }

        private TrainingResult result(TrainingResult.StopReason stop) {
            Map<String, Object> training = new LinkedHashMap<>();
            training.put("dataset", train.name());
            training.put("testDataset", test.name());
            training.put("trainSize", trainIndices.length);
            training.put("testSize", Batches.labelled(test).length);
            training.put("epochs", history.size());
            training.put("epochsRequested", spec.epochs());
            training.put("bestEpoch", bestEpoch);
            training.put("batchSize", spec.batchSize());
            training.put("optimizer", spec.optimizer().name().toLowerCase(java.util.Locale.ROOT));
            training.put("learningRate", Double.parseDouble(Float.toString(spec.learningRate())));
            training.put("maxShift", spec.maxShift());
            training.put("seed", spec.seed());
            training.put("fineTune", spec.isFineTune());
            training.put("stopReason", stop.name().toLowerCase(java.util.Locale.ROOT));
            training.put("rollbacks", rollbacks);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
            training.put("trainSeconds", Math.round(elapsed.toMillis() / 100.0) / 10.0);
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put(METRIC_ACCURACY, bestAccuracy);
            if (Double.isFinite(bestTestLoss)) {
                metrics.put(METRIC_LOSS, bestTestLoss);
            }
            if (Double.isFinite(bestTrainLoss)) {
                metrics.put(METRIC_TRAIN_LOSS, bestTrainLoss);
            }
            int parentVersion = spec.parent().map(p -> p.manifest().version()).orElse(0);
            ModelManifest manifest = new ModelManifest(spec.modelName(), 0, spec.architecture().id(), input, norm,
                    train.classNames(), training, metrics, parentVersion, "", Instant.now());
            return new TrainingResult(ModelArtifact.of(manifest, bestWeights), history, bestEpoch, parentAccuracy,
                    stop, rollbacks, elapsed);
        }
    }

    private static int batchCount(int images, int batchSize) {
        int full = images / batchSize;
        int rest = images % batchSize;
        // A last batch of one image would make batch norm's variance undefined: drop it.
        return rest >= 2 || full == 0 ? full + 1 : full;
    }

    private static double seconds(long nanos) {
        return Math.max(nanos, 1) / 1e9;
    }

    /** The block's parameter file bytes, as {@code ModelArtifact} stores them. */
    static byte[] save(Block block) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            block.saveParameters(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Replaces the block's parameters with {@code weights}, freeing the arrays they replace. */
    static void load(Block block, NDManager manager, byte[] weights) {
        List<NDArray> old = new ArrayList<>();
        for (Parameter p : block.getParameters().values()) {
            if (p.isInitialized()) {
                old.add(p.getArray());
            }
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(weights))) {
            block.loadParameters(manager, in);
        } catch (IOException | MalformedModelException e) {
            throw new IllegalArgumentException("weights do not fit the block: " + e.getMessage(), e);
        }
        old.forEach(NDArray::close);
        for (Parameter p : block.getParameters().values()) {
            // loadParameters creates plain arrays; training needs gradients on them again.
            p.getArray().setRequiresGradient(p.requiresGradient());
        }
    }
}
