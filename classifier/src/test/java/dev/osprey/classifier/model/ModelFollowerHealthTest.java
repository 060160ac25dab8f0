package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import dev.osprey.classifier.ClassifierMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** A follower that dies says so, so that the classifier's health can fail and the process exit. */
class ModelFollowerHealthTest {

    @Test
    void aFollowerThatCannotStartReportsItsFailure() throws InterruptedException {
        ModelHolder holder = new ModelHolder();
        // No bootstrap.servers: the consumer cannot be created, and the follower's thread ends.
        ModelFollower follower = new ModelFollower(new Properties(), "models", Optional.empty(), holder,
                Device.cpu(), new ClassifierMetrics(new SimpleMeterRegistry()), 64, (key, reason) -> { });
        assertThat(follower.failure()).as("not started yet").isEmpty();
        follower.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> follower.failure().isPresent());
        assertThat(follower.failure()).hasValueSatisfying(r -> assertThat(r).contains("models").contains("stopped"));
        follower.close();
        assertThat(follower.failure()).as("a closed follower is not a failure").isEmpty();
        holder.close();
    }
}
