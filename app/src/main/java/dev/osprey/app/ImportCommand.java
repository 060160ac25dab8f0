package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import dev.osprey.core.model.TorchScriptImport;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.publish.ModelPublisher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osprey import}: wraps a model trained elsewhere (a TorchScript file) into an Osprey artifact,
 * checks it on a real batch, and writes it (--out) and/or publishes it as the next version (--publish).
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Wraps a TorchScript model (torch.jit.trace or torch.jit.script, saved with .save) into an "
                + "Osprey artifact, checks it on a batch of images of the declared input shape (output shape, "
                + "finite values, logits or probabilities), and writes it (--out) and/or publishes it to "
                + "'models' as the next version (--publish).")
final class ImportCommand implements Callable<Integer> {

    @Option(names = "--torchscript", required = true, paramLabel = "FILE", description = "The TorchScript file (.pt).")
    Path torchScript;

    @Option(names = "--name", required = true, description = "Model name: the key on 'models' the classifier serves.")
    String name;

    @Option(names = "--input", required = true, paramLabel = "CxHxW",
            description = "The input the model takes per image, e.g. 1x28x28 (gray) or 3x32x32 (RGB).")
    String input;

    @Option(names = "--classes", required = true, paramLabel = "FILE|a,b,c",
            description = "Class names in output order: a file with one name per line, or a comma-separated list.")
    String classes;

    @Option(names = "--normalize", required = true, paramLabel = "MEAN,STD[,MEAN,STD...]",
            description = "What the model was trained on: (pixel / 255 - MEAN) / STD, one MEAN,STD pair per "
                    + "channel, or one pair for all channels (e.g. 0.2860,0.3530).")
    String normalize;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the Osprey artifact to FILE.")
    Path out;

    @Option(names = "--publish", description = "Publish the model to the 'models' topic as the next version.")
    boolean publish;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        if (out == null && !publish) {
            throw new IllegalArgumentException("nothing to do with the model: give --out FILE and/or --publish");
        }
        InputSpec spec = InputSpec.parse(input);
        Normalization norm = parseNormalization(normalize, spec.channels());
        List<String> names = parseClasses(classes);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(torchScript);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--torchscript: no such file: " + torchScript, e);
        }
        TorchScriptImport.Result result;
        try {
            result = TorchScriptImport.wrap(name, bytes, torchScript.getFileName().toString(), spec, norm, names);
        } catch (InvalidArtifactException e) {
            throw new InvalidArtifactException(torchScript + ": " + e.getMessage(), e);
        }
        System.out.printf(Locale.ROOT, "checked %s on %d images of %s: %d classes, outputs are %s%n",
                torchScript.getFileName(), TorchScriptImport.CHECK_BATCH, spec, names.size(),
                result.outputs().equals(ModelManifest.PROBABILITIES)
                        ? "probabilities (served as they are)"
                        : "logits (the classifier applies softmax)");
        if (out != null) {
            result.artifact().write(out);
            System.out.println("wrote " + out);
        }
        if (publish) {
            // Before any producer touches 'models': a broker that auto-creates topics would make it
            // with one partition, the delete policy and a 1 MB limit.
            KafkaSettings settings = kafka.settings();
            TopicAdmin.ensureTopics(settings);
            try (ModelPublisher publisher = new ModelPublisher(settings, "osprey-import-" + name)) {
                ModelManifest m = publisher.publish(result.artifact(), name, 0);
                System.out.println("published " + m.tag());
            }
        }
        return 0;
    }

    /** One MEAN,STD pair per channel, or one pair for every channel. */
    static Normalization parseNormalization(String text, int channels) {
        float[] v;
        try {
            String[] parts = text.split(",");
            v = new float[parts.length];
            for (int i = 0; i < parts.length; i++) {
                v[i] = Float.parseFloat(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--normalize must be numbers MEAN,STD[,MEAN,STD...], not '"
                    + text + "'", e);
        }
        if (v.length != 2 && v.length != 2 * channels) {
            throw new IllegalArgumentException("--normalize needs one MEAN,STD pair, or one per channel (" + channels
                    + "), not " + v.length + " number(s)");
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            int pair = v.length == 2 ? 0 : 2 * c;
            mean[c] = v[pair];
            std[c] = v[pair + 1];
        }
        return new Normalization(mean, std);
    }

    /** A file of one name per line (blank lines skipped), or a comma-separated list. */
    static List<String> parseClasses(String text) throws IOException {
        Path file = Path.of(text);
        List<String> names;
        if (Files.isRegularFile(file)) {
            names = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(s -> !s.isEmpty()).toList();
        } else if (text.contains(",")) {
            names = Arrays.stream(text.split(",")).map(String::strip).toList();
        } else {
            throw new IllegalArgumentException("--classes: '" + text + "' is neither a file nor a comma-separated "
                    + "list of class names");
        }
        if (names.size() < 2 || names.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("--classes needs at least 2 non-empty names, got " + names);
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("--classes has a name twice: " + names);
        }
        return names;
    }
}
