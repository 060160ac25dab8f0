package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.osprey.classifier.ClassifierMetrics;
import dev.osprey.classifier.model.ModelFollower.Outcome;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.HostileModels;
import dev.osprey.core.testing.TestModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ModelFollower#offer} with real MLP artifacts: what it swaps in, what it refuses and what
 * it ignores, without a broker (the follower's thread is never started).
 */
class ModelFollowerTest {

    private static final String TOPIC = "models";

    private final ModelHolder holder = new ModelHolder();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> refused = new ArrayList<>();
    private long offset;

    @AfterEach
    void closeHolder() {
        holder.close();
    }

    private ModelFollower follower(Optional<String> name) {
        return new ModelFollower(new Properties(), TOPIC, name, holder, Device.cpu(), new ClassifierMetrics(registry), 64,
                (key, reason) -> refused.add(key + ": " + reason));
    }

    private ConsumerRecord<String, byte[]> record(String key, byte[] value) {
        return new ConsumerRecord<>(TOPIC, 0, offset++, key, value);
    }

    private ConsumerRecord<String, byte[]> record(ModelArtifact a) {
        return record(a.manifest().name(), a.toBytes());
    }

    private double swaps(String outcome) {
        return registry.get("osprey.classifier.swaps").tag("outcome", outcome).counter().count();
    }

    @Test
    void newerVersionsSwapInAndOlderOnesAreStale() {
        ModelFollower follower = follower(Optional.of("digits"));
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 2)))).isEqualTo(Outcome.SWAPPED);
        assertThat(holder.serving()).map(ModelManifest::tag).hasValue("digits:v2");

        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 1)))).isEqualTo(Outcome.STALE);
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 2)))).isEqualTo(Outcome.STALE);
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 3)))).isEqualTo(Outcome.SWAPPED);
        assertThat(holder.serving()).map(ModelManifest::tag).hasValue("digits:v3");
        assertThat(swaps("swapped")).isEqualTo(2);
        assertThat(swaps("stale")).isEqualTo(2);
        assertThat(refused).isEmpty();
    }

    @Test
    void aBadArtifactIsRefusedReportedAndTheServingModelStays() {
        ModelFollower follower = follower(Optional.of("digits"));
        follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 1)));
        byte[] good = TestModels.untrained(Architecture.MLP, "digits", 2).toBytes();

        assertThat(follower.offer(record("digits", "not a zip".getBytes()))).isEqualTo(Outcome.REFUSED);
        assertThat(follower.offer(record("digits", Arrays.copyOf(good, good.length / 2)))).isEqualTo(Outcome.REFUSED);
        assertThat(holder.serving()).map(ModelManifest::tag).hasValue("digits:v1");
        assertThat(refused).hasSize(2).allSatisfy(r -> assertThat(r).startsWith("digits: "));
        assertThat(refused.get(0)).contains("ZIP");
        assertThat(swaps("refused")).isEqualTo(2);
        // and the follower still swaps afterwards
        assertThat(follower.offer(record("digits", good))).isEqualTo(Outcome.SWAPPED);
    }

    @Test
    void aZipBombAndNanWeightsAreRefusedAndTheServingModelStays() {
        ModelFollower follower = follower(Optional.of("digits"));
        ModelArtifact good = TestModels.untrained(Architecture.MLP, "digits", 1);
        follower.offer(record(good));

        assertThat(follower.offer(record("digits", HostileModels.zipBomb(good, 2, 256L << 20)))).isEqualTo(Outcome.REFUSED);
        assertThat(follower.offer(record(HostileModels.withWeights(good, 3, Float.NaN, 1)))).isEqualTo(Outcome.REFUSED);
        assertThat(holder.serving()).map(ModelManifest::tag).hasValue("digits:v1");
        assertThat(refused).hasSize(2);
        assertThat(refused.get(0)).contains("ZIP bomb");
        assertThat(refused.get(1)).contains("digits:v3").contains("NaN");
    }

    @Test
    void aManifestNamingAnotherModelThanItsKeyIsRefused() {
        ModelFollower follower = follower(Optional.of("digits"));
        ModelArtifact other = TestModels.untrained(Architecture.MLP, "letters", 1);
        assertThat(follower.offer(record("digits", other.toBytes()))).isEqualTo(Outcome.REFUSED);
        assertThat(refused).singleElement().asString().contains("letters").contains("key");
        assertThat(holder.serving()).isEmpty();
    }

    @Test
    void withoutAGivenNameTheFirstNameSeenIsTheOnlyOneServed() {
        ModelFollower follower = follower(Optional.empty());
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 1)))).isEqualTo(Outcome.SWAPPED);
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "letters", 5)))).isEqualTo(Outcome.IGNORED);
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "letters", 6)))).isEqualTo(Outcome.IGNORED);
        assertThat(holder.serving()).map(ModelManifest::tag).hasValue("digits:v1");
        assertThat(follower).hasToString("ModelFollower[models, digits]");
        assertThat(refused).as("another name is not a refusal").isEmpty();
    }

    @Test
    void aGivenNameIgnoresEveryOther() {
        ModelFollower follower = follower(Optional.of("letters"));
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "digits", 1)))).isEqualTo(Outcome.IGNORED);
        assertThat(holder.serving()).isEmpty();
        assertThat(follower.offer(record(TestModels.untrained(Architecture.MLP, "letters", 1)))).isEqualTo(Outcome.SWAPPED);
    }

    @Test
    void tombstonesAndKeylessRecordsAreIgnored() {
        ModelFollower follower = follower(Optional.empty());
        assertThat(follower.offer(record("digits", null))).isEqualTo(Outcome.IGNORED);
        assertThat(follower.offer(record(null, TestModels.untrained(Architecture.MLP, "digits", 1).toBytes())))
                .isEqualTo(Outcome.IGNORED);
        assertThat(holder.serving()).isEmpty();
        assertThat(follower).as("neither fixes the name").hasToString("ModelFollower[models]");
    }
}
