package dev.osprey.core.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.osprey.core.image.InputSpec;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wraps a TorchScript file into an Osprey artifact, after running it on a real batch: half zero
 * images, half noise, normalised as the manifest says. The batch must give one finite
 * {@code (N, classes)} output; rows that are all in [0, 1] and sum to 1 make the outputs
 * {@value ModelManifest#PROBABILITIES}, anything else {@value ModelManifest#LOGITS}. Every refusal is
 * one line that says what to fix.
 */
public final class TorchScriptImport {

    /** Images in the check batch: more than one, so a model that mixes up batch and features fails. */
    public static final int CHECK_BATCH = 8;
    private static final Pattern ERROR_LINE = Pattern.compile("[A-Za-z.]*Error: (.+)");

    /**
     * What the import made.
     *
     * @param artifact the unpublished artifact (version 0)
     * @param outputs  {@value ModelManifest#LOGITS} or {@value ModelManifest#PROBABILITIES}, as detected
     */
    public record Result(ModelArtifact artifact, String outputs) {
    }

    private TorchScriptImport() {
    }

    /**
     * Checks {@code torchScript} and wraps it.
     *
     * @param name       the model name
     * @param torchScript the bytes of the {@code .pt} file
     * @param sourceName the file name, kept in the manifest's {@code training} facts
     * @throws InvalidArtifactException in one line: not TorchScript, does not take this input, wrong
     *                                  number of outputs, non-finite outputs
     */
    public static Result wrap(String name, byte[] torchScript, String sourceName, InputSpec input,
                              Normalization normalization, List<String> classes) throws InvalidArtifactException {
        if (normalization.channels() != input.channels()) {
            throw new InvalidArtifactException("the normalisation has " + normalization.channels()
                    + " channel(s) but the input " + input + " has " + input.channels());
        }
        String outputs;
        try (Model model = TorchScriptLoader.load(name, torchScript, Device.cpu())) {
            outputs = check(model, input, normalization, classes.size());
        }
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("source", sourceName);
        facts.put("importedAs", ModelManifest.TORCHSCRIPT);
        String sha = ModelArtifact.sha256(torchScript);
        ModelManifest manifest = new ModelManifest(name, 0, ModelManifest.TORCHSCRIPT, input, normalization,
                classes, facts, Map.of(), 0, sha, Instant.now(), outputs, sha);
        ModelArtifact artifact = new ModelArtifact(manifest, torchScript);
        // The classifier's own load-time check, so what passes here also serves there.
        try (Model model = artifact.newModel(Device.cpu())) {
            ModelCheck.verify(model, manifest);
        }
        return new Result(artifact, outputs);
    }

    private static String check(Model model, InputSpec input, Normalization norm, int classes)
            throws InvalidArtifactException {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDArray batch = manager.create(checkBatch(input, norm),
                    new Shape(CHECK_BATCH, input.channels(), input.height(), input.width()));
            NDList out;
            try {
                out = model.getBlock().forward(new ParameterStore(manager, false), new NDList(batch), false);
            } catch (RuntimeException e) {
                throw new InvalidArtifactException("the model does not take a batch of " + input + " images ("
                        + torchMessage(e.getMessage()) + "); check --input");
            }
            if (out.size() != 1) {
                throw new InvalidArtifactException("the model returns " + out.size()
                        + " tensors; Osprey serves models that return one (N, classes) tensor");
            }
            Shape shape = out.head().getShape();
            if (shape.dimension() != 2 || shape.get(0) != CHECK_BATCH) {
                throw new InvalidArtifactException("for a batch of " + CHECK_BATCH + " " + input
                        + " images the model returns shape " + shape + ", not (" + CHECK_BATCH + ", classes)");
            }
            if (shape.get(1) != classes) {
                throw new InvalidArtifactException("the model gives " + shape.get(1) + " scores per image but "
                        + classes + " class names were given; check --classes");
            }
            float[] values = out.head().toType(DataType.FLOAT32, false).toFloatArray();
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    throw new InvalidArtifactException("the model's outputs are not finite (" + v
                            + ") on zero and noise images: its weights or --normalize are broken");
                }
            }
            return ModelCheck.areProbabilities(values, classes) ? ModelManifest.PROBABILITIES : ModelManifest.LOGITS;
        }
    }

    /** Zero images then seeded noise, normalised exactly as the classifier will feed real ones. */
    private static float[] checkBatch(InputSpec input, Normalization norm) {
        float[] data = new float[CHECK_BATCH * input.size()];
        Random random = new Random(CHECK_BATCH);
        int plane = input.height() * input.width();
        for (int i = 0; i < CHECK_BATCH; i++) {
            boolean zeros = i < CHECK_BATCH / 2;
            for (int c = 0; c < input.channels(); c++) {
                for (int p = 0; p < plane; p++) {
                    int pixel = zeros ? 0 : random.nextInt(256);
                    data[i * input.size() + c * plane + p] = norm.apply(pixel, c);
                }
            }
        }
        return data;
    }

    /**
     * The line of a libtorch error that says what went wrong: the TorchScript interpreter puts a
     * traceback first and the Python-style {@code RuntimeError: ...} line last.
     */
    static String torchMessage(String s) {
        if (s == null || s.isBlank()) {
            return "no message";
        }
        List<String> lines = s.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = ERROR_LINE.matcher(lines.get(i));
            if (m.matches()) {
                return m.group(1);
            }
        }
        return lines.get(0);
    }
}
