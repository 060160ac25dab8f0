package dev.osprey.trainer.live;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The confusion matrices of the newest {@link #KEPT} versions of each model, from every outcome
 * since each version's first. Two are kept because two are compared: the version serving now and
 * the one it replaced (see {@code RollbackJudge}). That also bounds the meters' {@code version}
 * tag. Outcomes of a version older than both kept ones (late feedback on a retired version) are
 * dropped. In memory only, like {@link LiveAccuracy}.
 */
public final class LiveConfusion {

    /** Versions kept per model. */
    public static final int KEPT = 2;

    /** Hears about versions coming and going; called on the stream thread. */
    public interface Listener {

        /** {@code stats} is new: its first outcome is being counted. */
        default void added(VersionStats stats) {
        }

        /** {@code stats} is no longer kept (a newer version pushed it out). */
        default void evicted(VersionStats stats) {
        }
    }

    private final Listener listener;
    private final Map<String, TreeMap<Integer, VersionStats>> models = new ConcurrentHashMap<>();

    public LiveConfusion(Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Counts one outcome; returns the stats it went to, empty if its version is too old to keep. */
    public Optional<VersionStats> record(Outcome o) {
        TreeMap<Integer, VersionStats> versions = models.computeIfAbsent(o.model(), m -> new TreeMap<>());
        VersionStats stats;
        List<VersionStats> evicted = new ArrayList<>();
        boolean added = false;
        synchronized (versions) {
            stats = versions.get(o.version());
            if (stats == null) {
                if (versions.size() >= KEPT && o.version() < versions.firstKey()) {
                    return Optional.empty();
                }
                stats = new VersionStats(o.model(), o.version());
                versions.put(o.version(), stats);
                added = true;
                while (versions.size() > KEPT) {
                    evicted.add(versions.pollFirstEntry().getValue());
                }
            }
        }
        if (added) {
            listener.added(stats);
        }
        evicted.forEach(listener::evicted);
        stats.add(o.label(), o.predicted());
        return Optional.of(stats);
    }

    /** The kept versions of {@code model}, oldest first. */
    public List<VersionStats> versions(String model) {
        TreeMap<Integer, VersionStats> versions = models.get(model);
        if (versions == null) {
            return List.of();
        }
        synchronized (versions) {
            return List.copyOf(versions.values());
        }
    }

    /** The stats of one version, if kept. */
    public Optional<VersionStats> stats(String model, int version) {
        return versions(model).stream().filter(s -> s.version() == version).findFirst();
    }
}
