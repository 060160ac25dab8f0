package dev.osprey.ingest.http;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The predictions seen lately, by image id, and the requests waiting for one that has not come
 * yet. Bounded both ways: at most {@code maxEntries} predictions, each kept at most {@code ttl},
 * and at most {@code maxWaiters} waiting requests.
 *
 * <p>One thread (the tail of {@code predictions}) calls {@link #put} and {@link #evictExpired};
 * any thread may call {@link #await}. A waiter registers before it looks at the map again, and
 * {@link #put} stores before it wakes waiters, so a prediction arriving in between is never missed.
 */
final class RecentPredictions {

    private final int maxEntries;
    private final long ttlNanos;
    private final int maxWaiters;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, byte[]> byId = new ConcurrentHashMap<>();
    /** Arrival order, for eviction; only the writing thread touches it. */
    private final ArrayDeque<Arrival> arrivals = new ArrayDeque<>();
    private final ConcurrentHashMap<String, List<CompletableFuture<byte[]>>> waiters = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    /** Ids uploaded through this server whose prediction has not come yet, with when; bounded like byId. */
    private final ConcurrentHashMap<String, Long> expected = new ConcurrentHashMap<>();

    private record Arrival(String id, byte[] json, long atNanos) {
    }

    RecentPredictions(int maxEntries, Duration ttl, int maxWaiters, LongSupplier nanoClock) {
        if (maxEntries < 1 || maxWaiters < 1 || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("limits must be positive: entries=" + maxEntries + " ttl=" + ttl
                    + " waiters=" + maxWaiters);
        }
        this.maxEntries = maxEntries;
        this.ttlNanos = ttl.toNanos();
        this.maxWaiters = maxWaiters;
        this.nanoClock = nanoClock;
    }

    /** Stores the prediction for {@code id} and completes the requests waiting for it. */
    synchronized void put(String id, byte[] json) {
        byId.put(id, json);
        expected.remove(id);
        arrivals.addLast(new Arrival(id, json, nanoClock.getAsLong()));
        List<CompletableFuture<byte[]>> woken = waiters.remove(id);
        if (woken != null) {
            woken.forEach(f -> f.complete(json));
        }
        while (arrivals.size() > maxEntries) {
            forget(arrivals.removeFirst());
        }
    }

    /** Drops predictions older than the time to live. */
    synchronized void evictExpired() {
        long now = nanoClock.getAsLong();
        while (!arrivals.isEmpty() && now - arrivals.peekFirst().atNanos() > ttlNanos) {
            forget(arrivals.removeFirst());
        }
        if (!expected.isEmpty()) {
            expected.values().removeIf(at -> now - at > ttlNanos);
        }
    }

    /** An image with this id was just published: its prediction is on its way. */
    void expect(String id) {
        // Past the bound, an upload only loses the promise of a wait, never its prediction.
        if (expected.size() < maxEntries) {
            expected.put(id, nanoClock.getAsLong());
        }
    }

    /** True when this id was uploaded here lately and its prediction has not come yet. */
    boolean expected(String id) {
        return expected.containsKey(id);
    }

    private void forget(Arrival a) {
        // Only if no newer prediction for the same id replaced it.
        byId.remove(a.id(), a.json());
    }

    /**
     * The prediction for {@code id}, now if it is here, else when it arrives, or empty after
     * {@code timeout}.
     *
     * @throws ApiError 503 when too many requests already wait
     */
    CompletableFuture<Optional<byte[]>> await(String id, Duration timeout) {
        byte[] known = byId.get(id);
        if (known != null) {
            return CompletableFuture.completedFuture(Optional.of(known));
        }
        if (waiting.incrementAndGet() > maxWaiters) {
            waiting.decrementAndGet();
            throw new ApiError(503, "too many requests are waiting for predictions (" + maxWaiters
                    + "); try again later");
        }
        CompletableFuture<byte[]> waiter = new CompletableFuture<>();
        waiters.compute(id, (k, list) -> {
            List<CompletableFuture<byte[]>> l = list == null ? new ArrayList<>(1) : list;
            l.add(waiter);
            return l;
        });
        waiter.whenComplete((json, e) -> {
            waiting.decrementAndGet();
            waiters.computeIfPresent(id, (k, list) -> {
                list.remove(waiter);
                return list.isEmpty() ? null : list;
            });
        });
        known = byId.get(id);
        if (known != null) {
            waiter.complete(known);
        }
        return waiter.completeOnTimeout(null, timeout.toNanos(), TimeUnit.NANOSECONDS).thenApply(Optional::ofNullable);
    }

    /** Predictions held now. */
    int size() {
        return byId.size();
    }

    /** Requests waiting now. */
    int waiting() {
        return waiting.get();
    }
}
