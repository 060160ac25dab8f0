package dev.osprey.core.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import dev.osprey.core.image.InputSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The network shapes Osprey can train and serve. A model artifact names its architecture by
 * {@link #id()}; the classifier rebuilds the same block from it and loads the weights into it.
 *
 * <p>Every block takes a float32 batch {@code (N, C, H, W)} and returns raw logits {@code (N, classes)}:
 * softmax is applied by whoever needs probabilities, so training can use a fused, stable loss.
 *
 * <p>Changing a block here changes the parameter layout: artifacts written before no longer load
 * (the classifier refuses them and keeps its model). Add a new constant instead of editing one.
 */
public enum Architecture {

    /** The tutorial's fully connected net: flatten, 400, 200, 100, classes, ReLU between. */
    MLP("mlp") {
        @Override
        Block build(InputSpec input, int classes) {
            return new SequentialBlock()
                    .add(Blocks.batchFlattenBlock(input.size()))
                    .add(dense(400)).add(Activation.reluBlock())
                    .add(dense(200)).add(Activation.reluBlock())
                    .add(dense(100)).add(Activation.reluBlock())
                    .add(dense(classes));
        }
    },

    /**
     * A small two-convolution net for 28x28 gray images (MNIST-like): 32 and 64 3x3 filters, each
     * with batch norm, ReLU and 2x2 max pooling, then 128 dense units with batch norm, ReLU and
     * dropout, then the classes. Batch norm everywhere and dropout only at the end let it learn fast
     * enough for a few-epoch run.
     * Works for any input of at least 4x4; sized so an epoch of Fashion-MNIST fits in about a minute
     * on two CPU cores.
     */
    CNN("cnn") {
        @Override
        Block build(InputSpec input, int classes) {
            return new SequentialBlock()
                    .add(convBnRelu(32)).add(pool())
                    .add(convBnRelu(64)).add(pool())
                    .add(Blocks.batchFlattenBlock())
                    .add(dense(128)).add(BatchNorm.builder().build()).add(Activation.reluBlock())
                    .add(dropout(0.25f))
                    .add(dense(classes));
        }
    },

    /**
     * A VGG-like net for 32x32 colour images (CIFAR-10): two blocks of two 3x3 convolutions
     * (32 then 64 filters, batch norm, ReLU) each followed by 2x2 max pooling, then dropout,
     * 256 dense units and the classes.
     */
    CIFAR_CNN("cifar-cnn") {
        @Override
        Block build(InputSpec input, int classes) {
            return new SequentialBlock()
                    .add(convBnRelu(32)).add(convBnRelu(32)).add(pool())
                    .add(convBnRelu(64)).add(convBnRelu(64)).add(pool())
                    .add(Blocks.batchFlattenBlock())
                    .add(dropout(0.3f))
                    .add(dense(256)).add(Activation.reluBlock())
                    .add(dropout(0.3f))
                    .add(dense(classes));
        }
    };

    private final String id;

    Architecture(String id) {
        this.id = id;
    }

    /** The name used in manifests and on the command line, e.g. {@code cifar-cnn}. */
    public String id() {
        return id;
    }

    /**
     * The architecture with this id (case-insensitive).
     *
     * @throws IllegalArgumentException naming the valid ids, for an unknown one
     */
    public static Architecture fromId(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (Architecture a : values()) {
            if (a.id.equals(wanted)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + id + "'; valid ids: " + validIds());
    }

    /** The valid ids, comma separated, for messages and help texts. */
    public static String validIds() {
        return Arrays.stream(values()).map(Architecture::id).collect(Collectors.joining(", "));
    }

    /**
     * A new, uninitialised block for inputs of shape {@code (N, input.channels, input.height, input.width)}
     * and {@code classes} outputs (raw logits).
     */
    public Block newBlock(InputSpec input, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        if (this != MLP && (input.height() < 4 || input.width() < 4)) {
            throw new IllegalArgumentException(id + " needs inputs of at least 4x4, got " + input);
        }
        return build(input, classes);
    }

    abstract Block build(InputSpec input, int classes);

    @Override
    public String toString() {
        return id;
    }

    private static Block dense(int units) {
        return Linear.builder().setUnits(units).build();
    }

    private static Block convBnRelu(int filters) {
        // No conv bias: the batch norm right after it has its own shift.
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                        .setFilters(filters).optBias(false).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock());
    }

    private static Block dropout(float rate) {
        return Dropout.builder().optRate(rate).build();
    }

    private static Block pool() {
        return Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2));
    }
}
