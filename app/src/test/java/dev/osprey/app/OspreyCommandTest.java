package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line as a user meets it: help everywhere, one line and exit 2 for a bad flag. */
class OspreyCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = OspreyCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "broker", "train", "import", "ingest", "classifier", "tail"})
    void everySubcommandHasHelp(String sub) {
        assertThat(run(sub, "--help")).isZero();
        assertThat(out.toString()).contains("Usage: osprey " + sub);
    }

    @Test
    void topLevelHelpListsTheSubcommands() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("demo", "broker", "train", "ingest", "classifier", "tail");
    }

    @Test
    void unknownFlagIsOneLineAndExitTwo() {
        assertThat(run("classifier", "--no-such-flag")).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("--no-such-flag").contains("osprey classifier --help");
    }

    @Test
    void badValueIsOneLineAndExitTwo() {
        assertThat(run("classifier", "--max-batch", "many")).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
    }

    @Test
    void aPixelBudgetOutOfRangeIsAClearLineBeforeAnythingConnects() {
        assertThat(run("classifier", "--bootstrap-servers", "localhost:1", "--metrics-port", "-1",
                "--max-pixels", "0")).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("max-pixels");
    }

    @Test
    void invalidSettingIsAClearLineAndExitTwo() {
        assertThat(run("classifier", "--bootstrap-servers", "no-port-here", "--metrics-port", "-1")).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("host:port");
    }

    @Test
    void demoFlagsOutOfRangeAreOneLineBeforeAnythingStarts() {
        assertThat(run("demo", "--held-out", "1.5")).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("--held-out");
    }

    @Test
    void aFeedbackShareTheHeldOutImagesLeaveNoRoomForIsRefused() {
        assumeTrue(Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist")),
                "needs the Fashion-MNIST package: the demo finds its dataset before it builds the ingest options");
        assertThat(run("demo", "--data", "/usr/share/datasets/fashion-mnist", "--held-out", "0.9",
                "--feedback", "0.5")).isEqualTo(2);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("held out");
    }

    @Test
    void anUnknownFeedbackStrategyAndAnUncertainOneWithoutBudgetAreRefused() {
        assumeTrue(Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist")),
                "needs the Fashion-MNIST package: ingest finds its dataset before it builds the options");
        assertThat(run("ingest", "--data", "/usr/share/datasets/fashion-mnist", "--metrics-port", "-1",
                "--feedback", "0.1", "--feedback-strategy", "smart")).isEqualTo(2);
        assertThat(err.toString()).contains("random or uncertain");
        err.getBuffer().setLength(0);
        assertThat(run("ingest", "--data", "/usr/share/datasets/fashion-mnist", "--metrics-port", "-1",
                "--feedback-strategy", "uncertain")).isEqualTo(2);
        assertThat(err.toString()).contains("feedback share above 0");
    }

    @Test
    void aClassCountBelowTwoIsRefused() {
        assertThat(run("ingest", "--serve", "--classes", "1", "--metrics-port", "-1")).isEqualTo(2);
        assertThat(err.toString()).contains("--classes");
    }

    @Test
    void trainWithNothingToDoSaysSo() {
        assertThat(run("train", "--data", "/nonexistent")).isEqualTo(2);
        assertThat(err.toString()).contains("--out").contains("--publish");
    }

    @Test
    void tailWithoutABrokerSaysSoInOneLineWithinSeconds() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        long started = System.nanoTime();
        int code = run("tail", "--bootstrap-servers", "localhost:" + closedPort, "--count", "1");
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertThat(code).isEqualTo(1);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("osprey tail: no Kafka broker answered at localhost:" + closedPort)
                .contains("osprey demo");
        // A bound, not a timing measurement: it must not retry for a minute as it did.
        assertThat(seconds).isLessThan(30);
    }

    @Test
    void commandsFindARunningDemoThroughItsFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home) {
        DemoBrokerFile file = new DemoBrokerFile(home.resolve("demo-broker"));
        assertThat(file.read()).isEmpty();
        file.write("localhost:39092");
        assertThat(file.read()).contains("localhost:39092");
        file.removeIfOwn("localhost:1");
        assertThat(file.read()).as("another demo's file stays").contains("localhost:39092");
        file.removeIfOwn("localhost:39092");
        assertThat(file.read()).isEmpty();
        assertThat(DemoBrokerFile.of(java.util.Map.of(DemoBrokerFile.ENV_HOME, home.toString())).path())
                .isEqualTo(home.resolve("demo-broker"));
    }

    @Test
    void aTakenPortIsNamedBeforeAnyWorkStarts() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("0.0.0.0", 0));
            int port = taken.getLocalPort();
            assertThatPortCheckFails(port);
        }
    }

    private static void assertThatPortCheckFails(int port) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Ports.requireFree("0.0.0.0", port, "--http-port"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--http-port " + port + " is taken");
        Ports.requireFree("0.0.0.0", 0, "--http-port");
        Ports.requireFree("0.0.0.0", -1, "--http-port");
    }
}
