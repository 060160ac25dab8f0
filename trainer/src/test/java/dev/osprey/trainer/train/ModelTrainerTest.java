package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.osprey.core.dataset.ClassNames;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelCheck;
import dev.osprey.trainer.train.TrainingSpec.OptimizerKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Trains on the real Fashion-MNIST; skipped where Debian's dataset-fashion-mnist is not installed. */
@Tag("slow")
class ModelTrainerTest {

    private static Dataset train;
    private static Dataset test;
    private static int engineThreads;

    @BeforeAll
    static void loadDataAndUseOneThread() {
        // On a busy two-core machine two OpenMP threads that spin-wait train ~20x slower than one
        // (measured: 460 vs 8600 images/s for the MLP; see docs/BENCHMARKS.md (training)). One thread also
        // makes the CNN bit-reproducible: multi-threaded convolution gradients differ in the last bits.
        Engine.getEngine(ModelArtifact.ENGINE);
        engineThreads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        assumeTrue(FashionMnist.present(), "Fashion-MNIST not found in " + FashionMnist.DIR
                + " (Debian package dataset-fashion-mnist)");
        train = FashionMnist.load(Split.TRAIN);
        test = FashionMnist.load(Split.TEST);
    }

    @AfterAll
    static void restoreThreads() {
        if (engineThreads > 0) {
            JniUtils.setNumThreads(engineThreads);
        }
    }

    private static TrainingSpec mlp(int epochs) {
        return TrainingSpec.defaults(Architecture.MLP).withEpochs(epochs).withModelName("fashion");
    }

    @Test
    void quickMlpRunLearnsFashionMnist() throws Exception {
        List<EpochStats> ended = new ArrayList<>();
        List<TrainingListener.BatchProgress> progress = new ArrayList<>();

        TrainingResult r = new ModelTrainer().train(mlp(2), train, test, new TrainingListener() {
            @Override
            public void onBatch(TrainingListener.BatchProgress p) {
                progress.add(p);
            }

            @Override
            public void onEpochEnd(EpochStats stats) {
                ended.add(stats);
            }
        });

        assertThat(r.testAccuracy()).isGreaterThanOrEqualTo(0.80);
        assertThat(r.stopReason()).isEqualTo(TrainingResult.StopReason.COMPLETED);
        assertThat(r.history()).hasSize(2).isEqualTo(ended);
        assertThat(r.history()).allSatisfy(e -> {
            assertThat(e.meanLoss()).isFinite().isPositive();
            assertThat(e.imagesPerSecond()).isPositive();
            assertThat(e.complete()).isTrue();
        });
        assertThat(r.bestEpoch()).isBetween(1, 2);
        assertThat(r.testAccuracy()).isEqualTo(r.history().get(r.bestEpoch() - 1).testAccuracy());
        assertThat(progress).isNotEmpty().last()
                .satisfies(p -> assertThat(p.batchesDone()).isEqualTo(p.batchesTotal()));

        ModelArtifact a = r.artifact();
        assertThat(a.manifest().name()).isEqualTo("fashion");
        assertThat(a.manifest().version()).isZero();
        assertThat(a.manifest().classes()).isEqualTo(ClassNames.FASHION_MNIST);
        assertThat(a.manifest().normalization().mean()[0]).isCloseTo(0.286f, within(0.001f));
        assertThat(a.manifest().normalization().std()[0]).isCloseTo(0.353f, within(0.001f));
        assertThat(a.manifest().training()).containsEntry("dataset", train.name())
                .containsEntry("trainSize", 60000).containsEntry("testSize", 10000).containsEntry("epochs", 2)
                .containsEntry("seed", 42);
        // The artifact, reloaded as a classifier would, scores exactly what training measured.
        ModelArtifact reread = ModelArtifact.fromBytes(a.toBytes());
        try (Model model = reread.newModel(Device.cpu())) {
            ModelCheck.verify(model, reread.manifest());
            assertThat(Evaluator.accuracy(model, reread.manifest(), test)).isEqualTo(r.testAccuracy());
        }
    }

    @Test
    void sameSeedSameWeightsOnOneThread() {
        Dataset small = train.head(1500);
        Dataset smallTest = test.head(300);
        for (Architecture arch : List.of(Architecture.MLP, Architecture.CNN)) {
            TrainingSpec spec = TrainingSpec.defaults(arch).withEpochs(2).withBatchSize(64).withSeed(7);

            byte[] first = weights(spec, small, smallTest);
            byte[] second = weights(spec, small, smallTest);
            byte[] other = weights(spec.withSeed(8), small, smallTest);

            assertThat(second).as(arch.id()).isEqualTo(first);
            assertThat(other).as(arch.id()).isNotEqualTo(first);
        }
    }

    @Test
    void fineTuneStartsFromTheParentAndKeepsItsClassesAndNormalisation() throws Exception {
        Dataset first = train.head(6000);
        Dataset feedback = train.select(range(6000, 9000));
        Dataset smallTest = test.head(2000);
        ModelArtifact parent = new ModelTrainer().train(mlp(1), first, smallTest, TrainingListener.NONE)
                .artifact().withVersion("fashion", 3, 2);

        // A learning rate too small to move the weights: the first epoch must score what the parent scores.
        TrainingResult still = new ModelTrainer().train(mlp(1).withParent(parent).withLearningRate(1e-9f),
                feedback, smallTest, TrainingListener.NONE);
        TrainingResult tuned = new ModelTrainer().train(mlp(2).withParent(parent).withLearningRate(3e-4f),
                feedback, smallTest, TrainingListener.NONE);

        assertThat(still.parentAccuracy()).hasValue(parent.manifest().metrics().get(ModelTrainer.METRIC_ACCURACY));
        assertThat(still.history().get(0).testAccuracy()).isCloseTo(still.parentAccuracy().getAsDouble(),
                within(0.002));
        assertThat(tuned.testAccuracy()).isGreaterThanOrEqualTo(tuned.parentAccuracy().getAsDouble());
        ModelArtifact child = tuned.artifact();
        assertThat(child.manifest().classes()).isEqualTo(parent.manifest().classes());
        assertThat(child.manifest().normalization()).isEqualTo(parent.manifest().normalization());
        assertThat(child.manifest().parentVersion()).isEqualTo(3);
        assertThat(child.manifest().training()).containsEntry("fineTune", true);
    }

    @Test
    void fineTuneRefusesDataWithOtherClasses() {
        Dataset small = train.head(500);
        ModelArtifact parent = new ModelTrainer().train(mlp(1), small, test.head(100), TrainingListener.NONE)
                .artifact();
        Dataset renamed = new Dataset("other", 28, 28, 1, small.pixels(), small.labels(),
                List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));

        assertThatThrownBy(() -> new ModelTrainer().train(mlp(1).withParent(parent), renamed,
                new Dataset("other-test", 28, 28, 1, renamed.pixels(), renamed.labels(), renamed.classNames()),
                TrainingListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has classes");
        assertThatThrownBy(() -> mlp(1).withParent(parent).withOptimizer(OptimizerKind.ADAM)
                .withParent(parent).fresh().withParent(parent).withEpochs(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrainingSpec.defaults(Architecture.CNN).withParent(parent))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot fine-tune a mlp");
    }

    @Test
    void absurdLearningRateNeverYieldsNaNWeights() throws Exception {
        List<Integer> rollbackEpochs = new ArrayList<>();
        TrainingSpec spec = mlp(3).withOptimizer(OptimizerKind.SGD_MOMENTUM).withLearningRate(1e6f);

        TrainingResult r = new ModelTrainer().train(spec, train.head(3000), test.head(500), new TrainingListener() {
            @Override
            public void onRollback(int epoch, String reason, float newLearningRate) {
                rollbackEpochs.add(epoch);
            }
        });

        assertThat(r.rollbacks()).isPositive();
        assertThat(rollbackEpochs).isNotEmpty();
        assertThat(r.history()).allSatisfy(e -> assertThat(e.meanLoss()).isFinite());
        assertThat(r.testAccuracy()).isFinite();
        try (Model model = r.artifact().newModel(Device.cpu())) {
            ModelCheck.verify(model, r.artifact().manifest());
            assertThat(Evaluator.accuracy(model, r.artifact().manifest(), test.head(500)))
                    .isEqualTo(r.testAccuracy());
        }
    }

    @Test
    void bestEpochIsReturnedNotTheLast() {
        Dataset small = train.head(2000);
        Dataset smallTest = test.head(500);

        TrainingResult r = new ModelTrainer().train(mlp(4).withLearningRate(5e-3f), small, smallTest,
                TrainingListener.NONE);

        double best = r.history().stream().mapToDouble(EpochStats::testAccuracy).max().orElseThrow();
        assertThat(r.testAccuracy()).isEqualTo(best);
        assertThat(r.history().get(r.bestEpoch() - 1).testAccuracy()).isEqualTo(best);
    }

    @Test
    void timeLimitStopsEarlyWithAnEvaluatedCheckpoint() {
        TrainingResult r = new ModelTrainer().train(mlp(50).withMaxWallTime(Duration.ofMillis(300)), train,
                test.head(500), TrainingListener.NONE);

        assertThat(r.stopReason()).isEqualTo(TrainingResult.StopReason.TIME_LIMIT);
        assertThat(r.history()).hasSize(1);
        assertThat(r.history().get(0).complete()).isFalse();
        assertThat(r.bestEpoch()).isEqualTo(1);
    }

    @Test
    void interruptStopsAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        try {
            TrainingResult r = new ModelTrainer().train(mlp(5), train.head(500), test.head(100),
                    TrainingListener.NONE);

            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            assertThat(r.stopReason()).isEqualTo(TrainingResult.StopReason.INTERRUPTED);
            assertThat(r.history()).isEmpty();
            assertThat(r.bestEpoch()).isZero();
        } finally {
            Thread.interrupted();
        }
    }

    private static byte[] weights(TrainingSpec spec, Dataset trainSet, Dataset testSet) {
        return new ModelTrainer().train(spec, trainSet, testSet, TrainingListener.NONE).artifact().weights();
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }
}
