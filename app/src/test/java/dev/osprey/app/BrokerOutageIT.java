package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only broker goes away for two minutes while a classifier process runs: the classifier must
 * not give up for good. When the broker is back (same data, same port) it answers the images that
 * came before and after, each exactly once.
 */
class BrokerOutageIT {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerOutageIT.class);
    private static final int BEFORE = 3000;
    private static final int AFTER = 2000;
    private static final Duration OUTAGE = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aClassifierOutlivesATwoMinuteBrokerOutage() throws Exception {
        Path data = dir.resolve("kafka");
        EmbeddedBroker broker = EmbeddedBroker.start(data, 0);
        String bootstrap = broker.bootstrapServers();
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        KafkaSettings settings = KafkaSettings.of(bootstrap, "outage-");
        try (ClassifierProcesses processes = new ClassifierProcesses(settings)) {
            TopicAdmin.ensureTopics(settings);
            ClassifierKillIT.publishModel(settings);
            Process classifier = processes.start("outage-it-classifier", dir.resolve("state"));
            processes.produce(BEFORE, 1000);
            await().atMost(Duration.ofSeconds(90)).until(() -> processes.outputEnd() >= BEFORE);

            LOG.info("stopping the broker for {} s", OUTAGE.toSeconds());
            broker.close();
            Thread.sleep(OUTAGE.toMillis()); // the outage itself is what this test is about
            assertThat(classifier.isAlive()).as("the classifier is still running during the outage").isTrue();
            broker = EmbeddedBroker.start(data, port);
            LOG.info("broker back at {}", broker.bootstrapServers());

            processes.produceRange(BEFORE, AFTER, 500);
            Map<String, Integer> seen = processes.readOutputsUntil(BEFORE + AFTER, Duration.ofMinutes(3));
            ClassifierProcesses.assertExactlyOnce(seen, BEFORE + AFTER);
            assertThat(classifier.isAlive()).as("the classifier is still running after the outage").isTrue();
        } finally {
            broker.close();
        }
    }
}
