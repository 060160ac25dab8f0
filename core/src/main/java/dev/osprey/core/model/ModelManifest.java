package dev.osprey.core.model;

import dev.osprey.core.image.InputSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a model artifact says about itself. Stored as {@code manifest.json} beside the weights.
 *
 * @param name          the model name (the key on the {@code models} topic)
 * @param version       increases by one per published version of {@code name}; 0 for an unpublished file
 * @param architecture  an {@link Architecture} id ({@code mlp}, {@code cnn}, {@code cifar-cnn}), or
 *                      {@value #TORCHSCRIPT} for a model imported from PyTorch, whose weights entry is the
 *                      TorchScript file itself
 * @param input         the input tensor shape (CHW)
 * @param normalization how pixels become inputs
 * @param classes       class names, index = class
 * @param training      where the weights came from: dataset name, sizes, epochs, seed, trigger
 * @param metrics       how good they are: test accuracy, loss, ...
 * @param parentVersion the version this one was fine-tuned from, or 0
 * @param weightsSha256 hex SHA-256 of the parameter file, checked on load
 * @param createdAt     when the artifact was made
 * @param outputs       what the model's output rows are: {@value #LOGITS} (the default; the classifier
 *                      applies softmax) or {@value #PROBABILITIES} (served as they are)
 * @param sourceSha256  hex SHA-256 of the file the model was imported from, or {@code null} for a model
 *                      Osprey trained
 */
public record ModelManifest(String name, int version, String architecture, InputSpec input,
                            Normalization normalization, List<String> classes, Map<String, Object> training,
                            Map<String, Double> metrics, int parentVersion, String weightsSha256,
                            Instant createdAt, String outputs, String sourceSha256) {

    /** The {@code architecture} of a model imported as a TorchScript file. */
    public static final String TORCHSCRIPT = "torchscript";
    /** {@code outputs}: raw scores, softmax gives the probabilities. */
    public static final String LOGITS = "logits";
    /** {@code outputs}: rows that already are probabilities (in [0, 1], summing to 1). */
    public static final String PROBABILITIES = "probabilities";

    public ModelManifest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(normalization, "normalization");
        Objects.requireNonNull(weightsSha256, "weightsSha256");
        Objects.requireNonNull(createdAt, "createdAt");
        classes = List.copyOf(classes);
        training = training == null ? Map.of() : Map.copyOf(training);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        // Manifests written before imported models existed have no outputs field: they are logits.
        outputs = outputs == null ? LOGITS : outputs;
        if (!outputs.equals(LOGITS) && !outputs.equals(PROBABILITIES)) {
            throw new IllegalArgumentException("outputs must be " + LOGITS + " or " + PROBABILITIES + ", not '"
                    + outputs + "'");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0: " + version);
        }
        if (classes.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes.size());
        }
        if (normalization.channels() != input.channels()) {
            throw new IllegalArgumentException("normalization has " + normalization.channels()
                    + " channels, input " + input.channels());
        }
    }

    /** A manifest of a model Osprey trained: its outputs are logits and it has no source file. */
    public ModelManifest(String name, int version, String architecture, InputSpec input,
                         Normalization normalization, List<String> classes, Map<String, Object> training,
                         Map<String, Double> metrics, int parentVersion, String weightsSha256, Instant createdAt) {
        this(name, version, architecture, input, normalization, classes, training, metrics, parentVersion,
                weightsSha256, createdAt, LOGITS, null);
    }

    /** Whether this is an imported TorchScript model rather than one of Osprey's architectures. */
    public boolean torchScript() {
        return TORCHSCRIPT.equalsIgnoreCase(architecture);
    }

    /** Whether the output rows are probabilities already, so no softmax must be applied. */
    public boolean outputsProbabilities() {
        return PROBABILITIES.equals(outputs);
    }

    /**
     * The key under which a model's challenger (a candidate scored in shadow) sits on {@code models},
     * apart from the champion's key so that compaction keeps both; a tombstone under it retires the
     * challenger.
     */
    public static String challengerKey(String name) {
        return name + "@challenger";
    }

    /** {@code name:vN}, as printed in summaries and predictions. */
    public String tag() {
        return name + ":v" + version;
    }

    /** The same manifest with another name, version and parent. */
    public ModelManifest withVersion(String newName, int newVersion, int parent) {
        return new ModelManifest(newName, newVersion, architecture, input, normalization, classes, training,
                metrics, parent, weightsSha256, createdAt, outputs, sourceSha256);
    }
}
