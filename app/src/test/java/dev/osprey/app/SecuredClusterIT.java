package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.broker.SaslUser;
import dev.osprey.classifier.ClassifierApp;
import dev.osprey.classifier.ClassifierConfig;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageEncoder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's path against a broker that takes only SASL-authenticated clients (SCRAM-SHA-512,
 * as {@code osprey broker --sasl-user} runs it): training with {@code --publish}, ingest, the
 * classifier and {@code tail} all log in through one {@code --kafka-config} file, and a wrong
 * password is one line, not a retry loop.
 */
class SecuredClusterIT {

    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyCommandWorksThroughOneClientConfig() throws Exception {
        assumeTrue(Files.isDirectory(FASHION), "Fashion-MNIST is not installed at " + FASHION
                + " (apt-get install dataset-fashion-mnist)");
        SaslUser user = new SaslUser("osprey", "a-long-password");
        try (EmbeddedBroker broker = EmbeddedBroker.startSecured(dir.resolve("kafka"), 0, user)) {
            Path config = BrokerCommand.writeClientConfig(dir.resolve("client.properties"), broker.clientProperties());
            assertThat(Files.getPosixFilePermissions(config))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            String[] kafka = {"--bootstrap-servers", broker.bootstrapServers(), "--kafka-config", config.toString()};

            assertThat(run(concat(new String[] {"train", "--data", FASHION.toString(), "--arch", "mlp",
                    "--epochs", "1", "--name", "secured", "--publish"}, kafka)).code())
                    .as("osprey train --publish").isZero();

            KafkaSettings settings = KafkaSettings.fromSources(broker.bootstrapServers(), config, List.of(), Map.of());
            try (ClassifierApp classifier = new ClassifierApp(ClassifierConfig.defaults(settings)
                    .withStateDir(dir.resolve("classifier")), new SimpleMeterRegistry())) {
                classifier.start(Duration.ofSeconds(60));
                assertThat(classifier.serving()).hasValueSatisfying(m -> assertThat(m.tag()).isEqualTo("secured:v1"));

                assertThat(run(concat(new String[] {"ingest", "--data", FASHION.toString(), "--count", "200"},
                        kafka)).code()).as("osprey ingest").isZero();
                Result tail = run(concat(new String[] {"tail", "--count", "200"}, kafka));
                assertThat(tail.code()).as("osprey tail").isZero();
                assertThat(tail.out().lines().filter(l -> l.contains("secured:v1")).count()).isEqualTo(200);

                // PNGs produced by kcat (librdkafka), logging in as the same user with PLAIN: Debian's
                // librdkafka 2.0.2 fails SCRAM against Kafka 4.3.1, while PLAIN works for both clients.
                if (kcatAvailable()) {
                    Dataset test = IdxDirectoryReader.read(FASHION, Split.TEST);
                    for (int i = 0; i < 3; i++) {
                        Path png = dir.resolve("kcat-" + i + ".png");
                        Files.write(png, ImageEncoder.png(test.image(i)));
                        Process kcat = new ProcessBuilder("kcat", "-P", "-b", broker.bootstrapServers(),
                                "-t", settings.topics().images(), "-k", "kcat-" + i,
                                "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
                                "-X", "sasl.username=" + user.name(), "-X", "sasl.password=" + user.password(),
                                png.toString()).redirectErrorStream(true).start();
                        assertThat(kcat.waitFor(30, TimeUnit.SECONDS)).isTrue();
                        assertThat(kcat.exitValue()).as("kcat: %s", new String(kcat.getInputStream().readAllBytes(),
                                StandardCharsets.UTF_8)).isZero();
                    }
                    Result kcatTail = run(concat(new String[] {"tail", "--count", "203"}, kafka));
                    assertThat(kcatTail.out().lines().filter(l -> l.startsWith("kcat-")).count())
                            .as("predictions of the PNGs kcat produced").isEqualTo(3);
                }
            }

            Path wrong = BrokerCommand.writeClientConfig(dir.resolve("wrong.properties"),
                    new SaslUser("osprey", "not-the-password").clientProperties(SaslUser.SCRAM_SHA_512));
            long started = System.nanoTime();
            Result refused = run("tail", "--count", "1", "--bootstrap-servers", broker.bootstrapServers(),
                    "--kafka-config", wrong.toString());
            assertThat(refused.code()).isNotZero();
            assertThat(refused.err().strip()).startsWith("osprey tail: cannot authenticate to "
                    + broker.bootstrapServers()).doesNotContain("\n");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));

            Result classifier = run("classifier", "--bootstrap-servers", broker.bootstrapServers(),
                    "--kafka-config", wrong.toString(), "--metrics-port", "-1",
                    "--state-dir", dir.resolve("refused").toString());
            assertThat(classifier.code()).isNotZero();
            assertThat(classifier.err().strip()).startsWith("osprey classifier: cannot authenticate to "
                    + broker.bootstrapServers()).doesNotContain("\n");
        }
    }

    private static boolean kcatAvailable() {
        try {
            Process p = new ProcessBuilder("kcat", "-V").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = OspreyCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
