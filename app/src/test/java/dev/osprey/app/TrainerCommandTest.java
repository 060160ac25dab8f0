package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.feedback.FeedbackStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code osprey trainer} and {@code osprey retrain} as a user meets them, without a cluster. */
class TrainerCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = OspreyCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void bothHaveHelpAndAreListed() {
        assertThat(run("trainer", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: osprey trainer", "--retrain-every", "--min-live-accuracy",
                "--http-port", "--epochs");
        assertThat(run("retrain", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: osprey retrain", "--fresh", "--reason", "--model");
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("trainer", "retrain");
    }

    @Test
    void flagsBecomeTheConfig() {
        TrainerCommand cmd = new TrainerCommand();
        new CommandLine(cmd).parseArgs("--retrain-every", "50", "--min-live-accuracy", "0.7", "--accuracy-window",
                "100", "--epochs", "2", "--max-run-time", "90s", "--join-window", "30m", "--http-port", "0",
                "--tolerance", "0.01", "--arch", "cnn", "--rollback-threshold", "0.1", "--rollback-min-images", "300");
        TrainerConfig c = cmd.config(KafkaSettings.of("localhost:9092", "p-"), "m");
        assertThat(c.applicationId()).as("one application id per model").isEqualTo("p-osprey-trainer-m");
        assertThat(c.rollback().enabled()).isTrue();
        assertThat(c.rollback().threshold()).isEqualTo(0.1);
        assertThat(c.rollback().minImages()).isEqualTo(300);
        assertThat(c.triggers().retrainEvery()).isEqualTo(50);
        assertThat(c.triggers().minLiveAccuracy()).isEqualTo(0.7);
        assertThat(c.triggers().accuracyWindow()).isEqualTo(100);
        assertThat(c.run().epochs()).isEqualTo(2);
        assertThat(c.run().maxWallTime()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.joinWindow()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.http().port()).isZero();
        assertThat(c.gate().tolerance()).isEqualTo(0.01);
        assertThat(c.architecture().id()).isEqualTo("cnn");
    }

    @Test
    void maxFeedbackDefaultsToTheStoresCapacityAndIsChecked() {
        TrainerCommand byDefault = new TrainerCommand();
        new CommandLine(byDefault).parseArgs();
        assertThat(byDefault.config(KafkaSettings.of("localhost:9092", "p-"), "m").maxFeedback())
                .isEqualTo(FeedbackStore.DEFAULT_CAPACITY);
        TrainerCommand cmd = new TrainerCommand();
        new CommandLine(cmd).parseArgs("--max-feedback", "5000");
        assertThat(cmd.config(KafkaSettings.of("localhost:9092", "p-"), "m").maxFeedback()).isEqualTo(5000);
        TrainerCommand zero = new TrainerCommand();
        new CommandLine(zero).parseArgs("--max-feedback", "0");
        assertThatThrownBy(() -> zero.config(KafkaSettings.of("localhost:9092", "p-"), "m"))
                .hasMessageContaining("--max-feedback");
        assertThat(run("trainer", "--help")).isZero();
        assertThat(out.toString()).contains("--max-feedback", "newest");
    }

    @Test
    void anExplicitApplicationIdAndNoRollbackAreKept() {
        TrainerCommand cmd = new TrainerCommand();
        new CommandLine(cmd).parseArgs("--application-id", "mine", "--no-rollback");
        TrainerConfig c = cmd.config(KafkaSettings.of("localhost:9092", "p-"), "m");
        assertThat(c.applicationId()).isEqualTo("p-mine");
        assertThat(c.rollback().enabled()).isFalse();
    }

    @Test
    void badValuesAreRefusedWithTheFlagNamed() {
        assertThatThrownBy(() -> TrainerCommand.duration("--join-window", "soon"))
                .hasMessageContaining("--join-window");
        assertThat(run("trainer", "--data", "/nonexistent", "--min-live-accuracy", "2")).isEqualTo(2);
        assertThat(err.toString()).contains("--min-live-accuracy");
        assertThat(run("retrain", "--epochs", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--epochs");
    }
}
