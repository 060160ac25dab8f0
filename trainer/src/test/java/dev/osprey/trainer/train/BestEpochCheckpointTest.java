package dev.osprey.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import org.junit.jupiter.api.Test;

class BestEpochCheckpointTest {

    private static final InputSpec INPUT = new InputSpec(1, 4, 4);

    @Test
    void restorePutsBackTheMostAccurateEpochNotTheLast() {
        byte[][] epochWeights = {initialWeights(1), initialWeights(2), initialWeights(3), initialWeights(4)};
        try (Model model = newModel()) {
            Block block = model.getBlock();
            BlockWeights.load(block, model.getNDManager(), epochWeights[0]);
            BestEpochCheckpoint best = new BestEpochCheckpoint();
            assertThat(best.isEmpty()).isTrue();
            best.start(block);

            double[] accuracy = {0, 0.50, 0.70, 0.60};
            boolean[] kept = new boolean[4];
            for (int epoch = 1; epoch <= 3; epoch++) {
                BlockWeights.load(block, model.getNDManager(), epochWeights[epoch]);
                kept[epoch] = best.offer(epoch, accuracy[epoch], 1.0 / epoch, 2.0 / epoch, block);
            }
            best.restore(block, model.getNDManager());

            assertThat(kept).containsExactly(false, true, true, false);
            assertThat(best.epoch()).isEqualTo(2);
            assertThat(best.accuracy()).isEqualTo(0.70);
            assertThat(best.testLoss()).isEqualTo(0.5);
            assertThat(best.trainLoss()).isEqualTo(1.0);
            assertThat(BlockWeights.save(block)).isEqualTo(epochWeights[2]).isEqualTo(best.weights());
        }
    }

    @Test
    void aTieKeepsTheEarlierEpochAndAMeasuredStartMustBeBeaten() {
        try (Model model = newModel()) {
            Block block = model.getBlock();
            BestEpochCheckpoint best = new BestEpochCheckpoint();
            best.start(block);
            byte[] start = best.weights();
            best.measured(0.8, 0.4);

            BlockWeights.load(block, model.getNDManager(), initialWeights(9));
            assertThat(best.offer(1, 0.8, 0.3, 0.3, block)).isFalse();
            assertThat(best.offer(2, 0.79, 0.3, 0.3, block)).isFalse();

            assertThat(best.epoch()).isZero();
            assertThat(best.weights()).isEqualTo(start);
            assertThat(best.trainLoss()).isNaN();
        }
    }

    @Test
    void anUnmeasuredStartIsBeatenByAnyEpoch() {
        try (Model model = newModel()) {
            BestEpochCheckpoint best = new BestEpochCheckpoint();
            assertThatThrownBy(best::weights).isInstanceOf(NullPointerException.class);
            best.start(model.getBlock());
            assertThat(best.isMeasured()).isFalse();

            assertThat(best.offer(1, 0.0, 2.3, 2.3, model.getBlock())).isTrue();
            assertThat(best.isMeasured()).isTrue();
        }
    }

    private static Model newModel() {
        Model model = Model.newInstance("c", Device.cpu(), ModelArtifact.ENGINE);
        Block block = Architecture.MLP.newBlock(INPUT, 3);
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 4, 4));
        return model;
    }

    /** Weights of a freshly initialised MLP; each seed gives different ones. */
    private static byte[] initialWeights(int seed) {
        Engine.getEngine(ModelArtifact.ENGINE).setRandomSeed(seed);
        try (Model model = newModel()) {
            return BlockWeights.save(model.getBlock());
        }
    }
}
