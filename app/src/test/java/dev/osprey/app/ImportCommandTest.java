package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.dataset.ClassNames;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.model.Normalization;
import dev.osprey.core.testing.TorchScriptFixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code osprey import} on real TorchScript files exported by PyTorch, and on files that are not. */
class ImportCommandTest {

    private static final String FASHION = String.join(",", ClassNames.FASHION_MNIST);

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = OspreyCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private int importFile(Path pt, String input, String classes, Path out) {
        return run("import", "--torchscript", pt.toString(), "--name", "tutorial", "--input", input,
                "--classes", classes, "--normalize", "0.2860,0.3530", "--out", out.toString());
    }

    @Test
    void a_traced_tutorial_mlp_becomes_an_artifact_with_what_it_was_told() throws Exception {
        Path pt = TorchScriptFixtures.untrainedMlp(dir, false);
        Path classes = Files.writeString(dir.resolve("classes.txt"), String.join("\n", ClassNames.FASHION_MNIST) + "\n");
        Path out = dir.resolve("tutorial.osprey");

        assertThat(importFile(pt, "1x28x28", classes.toString(), out)).as(err.toString()).isZero();

        ModelManifest m = ModelArtifact.read(out).manifest();
        assertThat(m.architecture()).isEqualTo(ModelManifest.TORCHSCRIPT);
        assertThat(m.input()).isEqualTo(new InputSpec(1, 28, 28));
        assertThat(m.classes()).isEqualTo(ClassNames.FASHION_MNIST);
        assertThat(m.normalization()).isEqualTo(new Normalization(new float[] {0.2860f}, new float[] {0.3530f}));
        assertThat(m.outputs()).isEqualTo(ModelManifest.LOGITS);
        assertThat(m.sourceSha256()).isEqualTo(ModelArtifact.sha256(Files.readAllBytes(pt)));
        assertThat(ModelArtifact.read(out).weights()).isEqualTo(Files.readAllBytes(pt));
    }

    @Test
    void a_model_ending_in_softmax_is_detected_as_probabilities() throws Exception {
        Path pt = TorchScriptFixtures.untrainedMlp(dir, true);
        Path out = dir.resolve("softmax.osprey");

        assertThat(importFile(pt, "1x28x28", FASHION, out)).as(err.toString()).isZero();

        assertThat(ModelArtifact.read(out).manifest().outputs()).isEqualTo(ModelManifest.PROBABILITIES);
    }

    @Test
    void a_wrong_input_shape_is_one_line() throws Exception {
        Path pt = TorchScriptFixtures.untrainedMlp(dir, false);

        assertThat(importFile(pt, "3x32x32", FASHION, dir.resolve("x.osprey"))).isEqualTo(1);

        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("does not take a batch of 3x32x32").contains("--input")
                .as("libtorch's own reason, not its traceback header").contains("shapes cannot be multiplied");
        assertThat(dir.resolve("x.osprey")).doesNotExist();
    }

    @Test
    void a_class_count_that_does_not_match_the_outputs_is_one_line() throws Exception {
        Path pt = TorchScriptFixtures.untrainedMlp(dir, false);

        assertThat(importFile(pt, "1x28x28", "cat,dog,bird", dir.resolve("x.osprey"))).isEqualTo(1);

        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("gives 10 scores per image but 3 class names");
    }

    @Test
    void a_file_that_is_not_torchscript_is_one_line() throws Exception {
        Path notModel = Files.writeString(dir.resolve("weights.pt"), "these are not the weights you are looking for");

        assertThat(importFile(notModel, "1x28x28", FASHION, dir.resolve("x.osprey"))).isEqualTo(1);

        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("osprey import: ").contains("not a TorchScript module");
    }

    @Test
    void bad_flags_are_one_line_and_exit_two() {
        assertThat(run("import", "--torchscript", "m.pt", "--name", "n", "--input", "28x28", "--classes", "a,b",
                "--normalize", "0.5,0.5", "--out", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("CxHxW");
        assertThat(run("import", "--torchscript", "m.pt", "--name", "n", "--input", "3x8x8", "--classes", "a,b",
                "--normalize", "0.5,0.5,0.5", "--out", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("one MEAN,STD pair");
        assertThat(err.toString().strip().lines()).hasSize(2);
    }
}
