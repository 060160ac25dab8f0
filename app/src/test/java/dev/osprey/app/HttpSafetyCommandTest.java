package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import dev.osprey.trainer.TrainerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The HTTP-safety rules as a user meets them on the command line: loopback by default, and no
 * mutating endpoint on another address without a token unless {@code --no-auth} says so.
 */
class HttpSafetyCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    @BeforeEach
    void cleanEnvironment() {
        // These rules read the environment; a developer's own settings would change the answers.
        assumeTrue(System.getenv(ApiToken.ENV) == null, ApiToken.ENV + " is set in this environment");
        assumeTrue(System.getenv("OSPREY_HTTP_HOST") == null, "OSPREY_HTTP_HOST is set in this environment");
        assumeTrue(System.getenv("OSPREY_METRICS_HOST") == null, "OSPREY_METRICS_HOST is set in this environment");
    }

    private int run(String... args) {
        CommandLine cl = OspreyCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void everyServiceBindsLoopbackByDefault() {
        IngestCommand ingest = new IngestCommand();
        new CommandLine(ingest).parseArgs("--serve");
        TrainerCommand trainer = new TrainerCommand();
        new CommandLine(trainer).parseArgs();
        DemoCommand demo = new DemoCommand();
        new CommandLine(demo).parseArgs();
        ClassifierCommand classifier = new ClassifierCommand();
        new CommandLine(classifier).parseArgs();

        assertThat(ingest.api.host).isEqualTo("127.0.0.1");
        assertThat(trainer.api.host).isEqualTo("127.0.0.1");
        assertThat(demo.api.host).isEqualTo("127.0.0.1");
        assertThat(ingest.metricsOptions.host).isEqualTo("127.0.0.1");
        assertThat(trainer.metricsOptions.host).isEqualTo("127.0.0.1");
        assertThat(classifier.metricsOptions.host).isEqualTo("127.0.0.1");
    }

    @Test
    void ingestRefusesAWildcardWithoutATokenInOneLine() {
        // Fails before Kafka is asked anything: no broker is needed to see the refusal.
        int code = run("ingest", "--serve", "--http-host", "0.0.0.0", "--bootstrap-servers", "localhost:1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).startsWith("osprey ingest: refusing to serve uploads and feedback on 0.0.0.0 "
                + "without a token").contains("--no-auth");
    }

    @Test
    void theDemoRefusesAWildcardWithoutATokenBeforeStartingAnything() {
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        assumeTrue(Files.isDirectory(fashion), "Fashion-MNIST is not installed at " + fashion);

        int code = run("demo", "--data", fashion.toString(), "--http-host", "0.0.0.0", "--http-port", "0",
                "--trainer-http-port", "0", "--metrics-port", "-1");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).startsWith("osprey demo: refusing to serve uploads, feedback and POST /retrain "
                + "on 0.0.0.0 without a token");
    }

    @Test
    void theTrainerRefusesAWildcardWithoutATokenUnlessNoAuth() throws Exception {
        KafkaSettings kafka = KafkaSettings.of("localhost:9092", "");
        TrainerCommand bare = new TrainerCommand();
        new CommandLine(bare).parseArgs("--http-host", "0.0.0.0");
        assertThatThrownBy(() -> bare.config(kafka, "m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("refusing to serve POST /retrain on 0.0.0.0 without a token");

        TrainerCommand noAuth = new TrainerCommand();
        new CommandLine(noAuth).parseArgs("--http-host", "0.0.0.0", "--no-auth");
        assertThat(noAuth.config(kafka, "m").http().access().noAuth()).isTrue();

        Path tokenFile = Files.writeString(dir.resolve("token"), "s3cret\n", StandardCharsets.UTF_8);
        TrainerCommand withToken = new TrainerCommand();
        new CommandLine(withToken).parseArgs("--http-host", "0.0.0.0", "--token-file", tokenFile.toString());
        TrainerConfig config = withToken.config(kafka, "m");
        assertThat(config.http().access().token()).hasValueSatisfying(t -> assertThat(t.matches("Bearer s3cret"))
                .isTrue());
    }

    @Test
    void theTokenFileFeedsTheAccessRules() throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), "file-token\n", StandardCharsets.UTF_8);
        IngestCommand ingest = new IngestCommand();
        new CommandLine(ingest).parseArgs("--serve", "--token-file", tokenFile.toString());

        HttpAccess access = ingest.api.access(Map.of(ApiToken.ENV, "env-token"));

        assertThat(access.token()).hasValueSatisfying(t -> assertThat(t.matches("Bearer file-token")).isTrue());
    }
}
