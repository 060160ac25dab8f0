package dev.osprey.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentPredictionsTest {

    private final AtomicLong now = new AtomicLong();
    private final RecentPredictions recent = new RecentPredictions(3, Duration.ofSeconds(60), 2, now::get);

    @Test
    void answersAtOnceWhenThePredictionIsHere() throws Exception {
        recent.put("a", json("a"));
        assertThat(recent.await("a", Duration.ofSeconds(5)).get(1, TimeUnit.SECONDS)).hasValue(json("a"));
        assertThat(recent.waiting()).isZero();
    }

    @Test
    void aWaiterIsCompletedWhenThePredictionArrives() throws Exception {
        CompletableFuture<Optional<byte[]>> waiting = recent.await("b", Duration.ofSeconds(30));
        CompletableFuture<Optional<byte[]>> second = recent.await("b", Duration.ofSeconds(30));
        assertThat(waiting).isNotDone();
        assertThat(recent.waiting()).isEqualTo(2);

        recent.put("b", json("b"));

        assertThat(waiting.get(1, TimeUnit.SECONDS)).hasValue(json("b"));
        assertThat(second.get(1, TimeUnit.SECONDS)).hasValue(json("b"));
        assertThat(recent.waiting()).isZero();
    }

    @Test
    void aWaiterGetsNothingAfterItsTimeoutAndIsForgotten() throws Exception {
        CompletableFuture<Optional<byte[]>> waiting = recent.await("c", Duration.ofMillis(50));
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(recent.waiting()).isZero();
        recent.put("c", json("c"));
        assertThat(recent.await("c", Duration.ZERO).get(1, TimeUnit.SECONDS)).hasValue(json("c"));
    }

    @Test
    void tooManyWaitersAreRefusedWith503() {
        recent.await("x", Duration.ofSeconds(30));
        recent.await("y", Duration.ofSeconds(30));
        assertThatThrownBy(() -> recent.await("z", Duration.ofSeconds(30)))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void keepsAtMostMaxEntriesDroppingTheOldest() throws Exception {
        for (String id : new String[] {"1", "2", "3", "4"}) {
            recent.put(id, json(id));
        }
        assertThat(recent.size()).isEqualTo(3);
        assertThat(recent.await("1", Duration.ZERO).get(1, TimeUnit.SECONDS)).isEmpty();
        assertThat(recent.await("4", Duration.ZERO).get(1, TimeUnit.SECONDS)).hasValue(json("4"));
    }

    @Test
    void dropsPredictionsOlderThanTheTimeToLive() throws Exception {
        recent.put("old", json("old"));
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        recent.put("new", json("new"));
        now.addAndGet(Duration.ofSeconds(31).toNanos());

        recent.evictExpired();

        assertThat(recent.size()).isEqualTo(1);
        assertThat(recent.await("old", Duration.ZERO).get(1, TimeUnit.SECONDS)).isEmpty();
        assertThat(recent.await("new", Duration.ZERO).get(1, TimeUnit.SECONDS)).hasValue(json("new"));
    }

    @Test
    void evictingAnOldArrivalKeepsANewerPredictionForTheSameId() throws Exception {
        recent.put("same", json("v1"));
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        recent.put("same", json("v2"));
        now.addAndGet(Duration.ofSeconds(2).toNanos());

        recent.evictExpired();

        assertThat(recent.await("same", Duration.ZERO).get(1, TimeUnit.SECONDS)).hasValue(json("v2"));
    }

    private static byte[] json(String id) {
        return ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
