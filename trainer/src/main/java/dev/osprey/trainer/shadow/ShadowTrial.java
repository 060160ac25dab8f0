package dev.osprey.trainer.shadow;

import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.TrainingEvents;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The challenger of one model while it runs in shadow: counts the labelled images both versions
 * scored ({@link ShadowPair}s, from the stream thread), asks the {@link ShadowJudge} every
 * {@value #CHECK_EVERY} pairs, and then promotes it ({@link ModelPublisher#promote}: the same
 * artifact under the champion's key, one transaction) or retires it (a tombstone under the
 * challenger key). Events on {@code training-events}: {@code shadow-started}, {@code promoted},
 * {@code retired}, each with its evidence. Publishing happens on a thread of its own.
 *
 * <p>One challenger at a time: a newer candidate replaces the one in shadow (which is retired,
 * the reason said) and the counts start again. The challenger's artifact is held in memory to be
 * promoted. A trainer restarted mid-trial takes over the challenger it finds on {@code models}
 * ({@link #resume}): the counts start again from zero (they were in the old process's memory),
 * so a restart delays a verdict but never skips the evidence.
 */
public final class ShadowTrial implements AutoCloseable {

    public static final String STARTED = "shadow-started";
    public static final String PROMOTED = "promoted";
    public static final String RETIRED = "retired";
    static final int CHECK_EVERY = 20;

    private static final Logger LOG = LoggerFactory.getLogger(ShadowTrial.class);

    private final String model;
    private final ShadowJudge judge;
    private final ModelPublisher publisher;
    private final TrainingEvents events;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "osprey-shadow");
        t.setDaemon(true);
        return t;
    });
    private ModelArtifact challenger;
    private int championVersion;
    private long pairs;
    private long championOnly;
    private long challengerOnly;
    private long bothRight;
    private boolean decided;

    public ShadowTrial(String model, ShadowSettings settings, ModelPublisher publisher, TrainingEvents events) {
        this.model = model;
        this.judge = settings.judge();
        this.publisher = publisher;
        this.events = events;
    }

    /** A candidate was published as the challenger {@code published} against champion {@code champion}. */
    public synchronized void started(ModelArtifact published, int champion, String runId,
                                     Map<String, Object> details) {
        ModelManifest m = published.manifest();
        if (challenger != null && !decided) {
            emit(RETIRED, challenger.manifest().version(), "v" + challenger.manifest().version()
                    + " left shadow: replaced by the newer candidate " + m.tag(), evidence(Map.of("replacedBy",
                    m.version())));
        }
        Map<String, Object> d = new LinkedHashMap<>(details);
        d.put("runId", runId);
        begin(published, champion, m.tag() + " runs in shadow beside v" + champion, d);
    }

    /**
     * Takes over the challenger an earlier trainer left in shadow, read from {@code models} on this
     * trial's worker: judged afresh against the newest usable champion, with a {@code shadow-started}
     * event saying it resumed. Retired when there is no champion to judge it against. Nothing happens
     * when there is no challenger, or this trial already judges one (a run started meanwhile).
     */
    public void resume() {
        submit(() -> {
            Optional<ModelArtifact> found = publisher.challenger(model);
            if (found.isEmpty()) {
                return;
            }
            ModelArtifact left = found.get();
            int champion = publisher.latest(model).map(a -> a.manifest().version()).orElse(0);
            if (champion == 0) {
                retire(left.manifest().version(), "no usable champion to judge it against", Map.of());
                return;
            }
            synchronized (this) {
                if (challenger != null) {
                    return;
                }
                LOG.info("taking over {} left in shadow by an earlier trainer", left.manifest().tag());
                begin(left, champion, left.manifest().tag() + " (left in shadow by an earlier trainer) resumes "
                        + "beside v" + champion + " with its counts from zero", new LinkedHashMap<>(Map.of(
                        "resumed", true)));
            }
        });
    }

    /**
     * For a trainer with {@code --promotion offline}: retires a challenger an earlier trainer left in
     * shadow (classifiers would score it for ever), with a {@code retired} event saying why. Blocks
     * while it reads {@code models}; errors are logged, not thrown.
     */
    public static void retireLeftOver(String model, ModelPublisher publisher, TrainingEvents events) {
        try {
            publisher.challenger(model).ifPresent(left -> {
                int version = left.manifest().version();
                publisher.retireChallenger(model);
                String why = "retired v" + version + " from shadow: left by an earlier trainer, and this one runs "
                        + "with --promotion offline";
                LOG.info("{}", why);
                events.emit(TrainingEvent.ofVersion(RETIRED, model, version, why, Map.of("leftOver", true)));
                events.flush();
            });
        } catch (KafkaException | IllegalStateException e) {
            LOG.warn("could not check {} for a challenger left in shadow: {}", model, e.getMessage());
        }
    }

    private void begin(ModelArtifact published, int champion, String what, Map<String, Object> details) {
        challenger = published;
        championVersion = champion;
        pairs = championOnly = challengerOnly = bothRight = 0;
        decided = false;
        details.put("championVersion", champion);
        details.put("minImages", judge.minPairs());
        emit(STARTED, published.manifest().version(), what + "; promoted only if it beats it on at least "
                + judge.minPairs() + " labelled live images (" + ShadowJudge.TEST + ")", details);
    }

    /** The challenger in shadow, if one is being judged. */
    public synchronized Optional<ModelManifest> challenger() {
        return challenger == null || decided ? Optional.empty() : Optional.of(challenger.manifest());
    }

    /** One labelled image both scored. */
    public synchronized void pair(ShadowPair p) {
        if (challenger == null || decided || !p.model().equals(model)
                || p.challengerVersion() != challenger.manifest().version() || p.championVersion() != championVersion) {
            return;
        }
        boolean champ = p.championClass() == p.label();
        boolean chall = p.challengerClass() == p.label();
        pairs++;
        if (champ && chall) {
            bothRight++;
        } else if (champ) {
            championOnly++;
        } else if (chall) {
            challengerOnly++;
        }
        if (pairs % CHECK_EVERY != 0) {
            return;
        }
        judge.judge(championVersion, challenger.manifest().version(), championOnly, challengerOnly, bothRight, pairs)
                .ifPresent(e -> {
                    decided = true;
                    ModelArtifact decidedOn = challenger;
                    submit(() -> conclude(e, decidedOn));
                });
    }

    /** Where the trial stands, for {@code /status}. */
    public synchronized Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        if (challenger == null) {
            return s;
        }
        s.put("challengerVersion", challenger.manifest().version());
        s.put("championVersion", championVersion);
        s.put("state", decided ? "decided" : "judging");
        s.put("pairs", pairs);
        s.put("championOnlyRight", championOnly);
        s.put("challengerOnlyRight", challengerOnly);
        s.put("bothRight", bothRight);
        return s;
    }

    private void conclude(ShadowJudge.Evidence e, ModelArtifact artifact) {
        int version = artifact.manifest().version();
        if (e.verdict() == ShadowJudge.Verdict.PROMOTE) {
            try {
                ModelManifest m = publisher.promote(artifact, model);
                LOG.info("promoted {} from shadow: {}", m.tag(), e.describe());
                emit(PROMOTED, version, "promoted " + m.tag() + " from shadow over v" + e.championVersion() + ": "
                        + e.describe(), e.toMap());
                return;
            } catch (KafkaException | IllegalStateException ex) {
                retire(version, "could not be promoted (" + ex.getMessage() + ")", e.toMap());
                return;
            }
        }
        retire(version, e.describe(), e.toMap());
    }

    private void retire(int version, String why, Map<String, Object> details) {
        try {
            publisher.retireChallenger(model);
        } catch (KafkaException ex) {
            LOG.warn("could not retire the challenger {}:v{} on the topic: {}", model, version, ex.getMessage());
        }
        LOG.info("retired challenger {}:v{}: {}", model, version, why);
        emit(RETIRED, version, "retired v" + version + " from shadow: " + why, details);
    }

    private Map<String, Object> evidence(Map<String, Object> extra) {
        Map<String, Object> d = new LinkedHashMap<>(extra);
        d.put("pairs", pairs);
        d.put("championOnlyRight", championOnly);
        d.put("challengerOnlyRight", challengerOnly);
        d.put("bothRight", bothRight);
        return d;
    }

    private void emit(String type, int version, String message, Map<String, Object> details) {
        events.emit(TrainingEvent.ofVersion(type, model, version, message, details));
        events.flush();
    }

    private void submit(Runnable task) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException ex) {
                    LOG.warn("shadow task for {} failed: {}", model, ex.toString());
                }
            });
        } catch (RejectedExecutionException ex) {
            LOG.debug("shadow worker closed; dropping a task for {}", model);
        }
    }

    /** Lets a promotion in flight finish (bounded), then stops the worker. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException ex) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
