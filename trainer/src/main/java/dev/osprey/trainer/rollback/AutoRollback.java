package dev.osprey.trainer.rollback;

import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.trainer.TrainerMetrics;
import dev.osprey.trainer.live.VersionStats;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.publish.StalePublishException;
import dev.osprey.trainer.run.TrainingEvents;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls a swapped-in version back when its live accuracy is worse than the version it replaced
 * ({@link RollbackJudge}): republishes the previous version's weights as a new version through the
 * {@link ModelPublisher}, so the classifiers swap to it as to any other, and reports
 * {@code rolled-back} (or {@code rollback-failed}) on {@code training-events}.
 *
 * <p>The weights to restore are kept in memory: {@code models} is compacted, so an older version's
 * record may be gone by the time it is needed. Each time a version gets its first live outcome, the
 * newest artifact is read from {@code models} and kept if it is that version; the newest
 * {@value #HELD} are held. A trainer started after a swap never saw the version before it, and
 * cannot roll back to it (it says so in a {@code rollback-failed} event).
 *
 * <p>The stream thread only counts and judges (arithmetic); reading and publishing happen on one
 * thread of this class's own. Each version is judged until rolled back once; the judge looks every
 * {@value #CHECK_EVERY} outcomes of the newer version.
 */
public final class AutoRollback implements AutoCloseable {

    public static final String ROLLED_BACK = "rolled-back";
    public static final String FAILED = "rollback-failed";
    static final int HELD = 3;
    static final int CHECK_EVERY = 20;

    private static final Logger LOG = LoggerFactory.getLogger(AutoRollback.class);

    private final String model;
    private final RollbackJudge judge;
    private final ModelPublisher publisher;
    private final TrainingEvents events;
    private final TrainerMetrics metrics;
    private final ConcurrentSkipListMap<Integer, ModelArtifact> held = new ConcurrentSkipListMap<>();
    private final Set<Integer> rolledBack = ConcurrentHashMap.newKeySet();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "osprey-rollback");
        t.setDaemon(true);
        return t;
    });

    public AutoRollback(String model, RollbackSettings settings, ModelPublisher publisher, TrainingEvents events,
                        TrainerMetrics metrics) {
        this.model = model;
        this.judge = settings.judge();
        this.publisher = publisher;
        this.events = events;
        this.metrics = metrics;
    }

    /** A version of the model got its first outcome: keep its weights if it is the newest on {@code models}. */
    public void versionSeen(int version) {
        submit(() -> {
            Optional<ModelArtifact> latest = publisher.latest(model);
            if (latest.isPresent() && latest.get().manifest().version() == version) {
                held.put(version, latest.get());
                while (held.size() > HELD) {
                    held.pollFirstEntry();
                }
                LOG.debug("holding the weights of {} for a rollback", latest.get().manifest().tag());
            }
        });
    }

    /**
     * Judges the newest kept version against the one before it after an outcome of the newest;
     * {@code kept} is the model's kept versions, oldest first.
     */
    public void outcomeCounted(List<VersionStats> kept) {
        if (kept.size() < 2) {
            return;
        }
        VersionStats previous = kept.get(kept.size() - 2);
        VersionStats current = kept.get(kept.size() - 1);
        long n = current.outcomes();
        if (n < judge.minImages() || n % CHECK_EVERY != 0 || rolledBack.contains(current.version())) {
            return;
        }
        judge.judge(previous, current).ifPresent(evidence -> {
            if (rolledBack.add(current.version())) {
                LOG.warn("rolling {}:v{} back to v{}: {}", model, current.version(), previous.version(),
                        evidence.describe());
                submit(() -> rollBack(evidence));
            }
        });
    }

    private void rollBack(RollbackJudge.Evidence evidence) {
        int bad = evidence.currentVersion();
        int good = evidence.previousVersion();
        Map<String, Object> details = new LinkedHashMap<>(evidence.toMap());
        ModelArtifact restore = held.get(good);
        if (restore == null) {
            fail(bad, "the weights of v" + good + " are not held by this trainer (it was not running when v"
                    + good + " was published)", details);
            return;
        }
        try {
            ModelManifest published = publisher.publishIfLatest(restored(restore, bad), model, good, bad);
            details.put("restoredVersion", good);
            details.put("rolledBackVersion", bad);
            details.put("newVersion", published.version());
            metrics.rollback(model, "published");
            events.emit(TrainingEvent.ofVersion(ROLLED_BACK, model, published.version(),
                    "rolled v" + bad + " back: republished the weights of v" + good + " as " + published.tag()
                            + "; " + evidence.describe(), details));
            events.flush();
        } catch (StalePublishException e) {
            fail(bad, "v" + e.latest() + " replaced v" + bad + " before the rollback could: " + e.getMessage(),
                    details);
        } catch (KafkaException | IllegalStateException e) {
            fail(bad, "could not publish the rollback: " + e.getMessage(), details);
        }
    }

    /** The previous weights, their manifest saying where they came from and why they are back. */
    private static ModelArtifact restored(ModelArtifact artifact, int rolledBackVersion) {
        ModelManifest m = artifact.manifest();
        Map<String, Object> training = new HashMap<>(m.training());
        training.put("restoredFrom", m.version());
        training.put("rolledBack", rolledBackVersion);
        ModelManifest withInfo = new ModelManifest(m.name(), m.version(), m.architecture(), m.input(),
                m.normalization(), m.classes(), training, m.metrics(), m.parentVersion(), m.weightsSha256(),
                m.createdAt(), m.outputs(), m.sourceSha256());
        return new ModelArtifact(withInfo, artifact.weights());
    }

    private void fail(int bad, String reason, Map<String, Object> details) {
        LOG.warn("could not roll {}:v{} back: {}", model, bad, reason);
        metrics.rollback(model, "failed");
        events.emit(TrainingEvent.ofVersion(FAILED, model, bad, reason, details));
        events.flush();
    }

    private void submit(Runnable task) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("rollback task for {} failed: {}", model, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("rollback worker closed; dropping a task for {}", model);
        }
    }

    /** Lets a rollback in flight finish (bounded), then stops the worker. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
