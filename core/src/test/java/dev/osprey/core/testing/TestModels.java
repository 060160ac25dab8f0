package dev.osprey.core.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Real, randomly initialised model artifacts for tests that need a model but not a good one. */
public final class TestModels {

    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private TestModels() {
    }

    /** A randomly initialised 28x28 gray model with ten digit classes. */
    public static ModelArtifact untrained(Architecture arch, String name, int version) {
        return untrained(arch, name, version, new InputSpec(1, 28, 28), 0);
    }

    /**
     * A randomly initialised model; {@code seed} makes versions differ from each other so a test
     * can tell which one answered.
     */
    public static ModelArtifact untrained(Architecture arch, String name, int version, InputSpec input, int seed) {
        ai.djl.engine.Engine.getEngine(ModelArtifact.ENGINE).setRandomSeed(seed);
        Block block = arch.newBlock(input, DIGITS.size());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT32,
                    new Shape(1, input.channels(), input.height(), input.width()));
            block.saveParameters(new DataOutputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ModelManifest manifest = new ModelManifest(name, version, arch.id(), input,
                Normalization.unit(input.channels()), DIGITS,
                Map.of("dataset", "none"), Map.of(), 0, "", Instant.now());
        return ModelArtifact.of(manifest, bytes.toByteArray());
    }
}
