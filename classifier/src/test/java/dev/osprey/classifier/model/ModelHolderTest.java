package dev.osprey.classifier.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import ai.djl.Model;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TestModels;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reference counting of {@link ModelHolder} and {@link ServingModel} with real DJL models: a
 * swapped-out model closes only when its last batch ends, and never twice.
 */
class ModelHolderTest {

    private static ServingModel serving(int version) throws InvalidArtifactException {
        ModelArtifact a = TestModels.untrained(Architecture.MLP, "digits", version);
        return new ServingModel(a.manifest(), a.newModel(Device.cpu()));
    }

    private static boolean open(Model model) {
        return model.getNDManager().isOpen();
    }

    @Test
    void acquiringBeforeAnyModelFails() {
        try (ModelHolder holder = new ModelHolder()) {
            assertThat(holder.serving()).isEmpty();
            assertThatThrownBy(holder::acquire).isInstanceOf(IllegalStateException.class).hasMessageContaining("no model");
        }
    }

    @Test
    void aSwappedOutModelClosesWhenItsLastLeaseEnds() throws Exception {
        try (ModelHolder holder = new ModelHolder()) {
            ServingModel v1 = serving(1);
            holder.swap(v1);
            ModelHolder.Lease first = holder.acquire();
            ModelHolder.Lease second = holder.acquire();
            assertThat(first.manifest().version()).isEqualTo(1);

            holder.swap(serving(2));
            assertThat(holder.serving()).map(ModelManifest::version).hasValue(2);
            assertThat(open(v1.model())).as("two batches still run on v1").isTrue();
            first.close();
            assertThat(open(v1.model())).as("one batch still runs on v1").isTrue();
            second.close();
            assertThat(open(v1.model())).as("v1 after its last batch").isFalse();
            assertThat(v1.retain()).as("a closed model cannot be leased again").isFalse();

            try (ModelHolder.Lease lease = holder.acquire()) {
                assertThat(lease.manifest().version()).isEqualTo(2);
            }
        }
    }

    /**
     * Each swapped-out model's weights sit in direct buffers (DJL shares them with the native
     * tensors) until a collection frees them: the soak saw direct memory grow by one model's size
     * per swap between collections. Closing a model drops DJL's references to them, so once the
     * swap has closed it nothing holds them: after 30 swaps with a batch on each version, a full
     * collection brings direct memory back to about one model's size. (A model left open would
     * hold its weights for as long as anything holds the model.)
     */
    @Test
    void theWeightsOfSwappedOutModelsAreFreedByACollection() throws Exception {
        try (ModelHolder holder = new ModelHolder()) {
            holder.swap(serving(1));
            double oneModel = collectedDirectMiB();
            for (int v = 2; v <= 31; v++) {
                try (ModelHolder.Lease lease = holder.acquire()) {
                    assertThat(lease.predictor()).isNotNull();
                }
                holder.swap(serving(v));
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(collectedDirectMiB())
                    .as("direct MiB after 30 swaps and a collection (one model: %.1f)", oneModel)
                    .isLessThan(oneModel + 4.0));
        }
    }

    private static double collectedDirectMiB() throws InterruptedException {
        System.gc();
        Thread.sleep(200); // the buffers' cleaners run on the reference handler thread
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum()
                / 1048576.0;
    }

    @Test
    void aModelWithoutLeasesClosesAtTheSwap() throws Exception {
        try (ModelHolder holder = new ModelHolder()) {
            ServingModel v1 = serving(1);
            holder.swap(v1);
            try (ModelHolder.Lease lease = holder.acquire()) {
                assertThat(lease.predictor()).as("one predictor per thread").isSameAs(lease.predictor());
            }
            assertThat(open(v1.model())).isTrue();
            holder.swap(serving(2));
            assertThat(open(v1.model())).isFalse();
        }
    }

    @Test
    void closingTheHolderClosesTheServingModelAndAnyLateSwap() throws Exception {
        ModelHolder holder = new ModelHolder();
        ServingModel v1 = serving(1);
        holder.swap(v1);
        ModelHolder.Lease lease = holder.acquire();
        holder.close();
        assertThat(holder.serving()).isEmpty();
        assertThat(open(v1.model())).as("its batch still runs").isTrue();
        lease.close();
        assertThat(open(v1.model())).isFalse();

        ServingModel late = serving(2);
        holder.swap(late);
        assertThat(open(late.model())).as("a swap after close frees the model at once").isFalse();
        assertThat(holder.serving()).isEmpty();
    }

    @Test
    void awaitModelWakesUpAtTheFirstSwap() throws Exception {
        try (ModelHolder holder = new ModelHolder()) {
            assertThat(holder.awaitModel(Duration.ofMillis(10))).isFalse();
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return holder.awaitModel(Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            holder.swap(serving(1));
            assertThat(waiting.get(1, TimeUnit.MINUTES)).isTrue();
        }
    }
}
