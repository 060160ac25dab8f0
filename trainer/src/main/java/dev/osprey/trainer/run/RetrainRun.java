package dev.osprey.trainer.run;

import ai.djl.Model;
import dev.osprey.core.format.TrainingEvent;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.trainer.TrainerConfig;
import dev.osprey.trainer.TrainerMetrics;
import dev.osprey.trainer.feedback.ExampleSource;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.publish.StalePublishException;
import dev.osprey.trainer.shadow.ShadowTrial;
import dev.osprey.trainer.train.EpochStats;
import dev.osprey.trainer.train.Evaluator;
import dev.osprey.trainer.train.ModelTrainer;
import dev.osprey.trainer.train.TrainingListener;
import dev.osprey.trainer.train.TrainingResult;
import dev.osprey.trainer.train.TrainingSpec;
import dev.osprey.trainer.trigger.TriggerRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One retraining run, start to end: read the serving model and the feedback, train a candidate,
 * score candidate and serving model on the gate set, and publish the candidate only if it is not
 * worse beyond the tolerance. Each step is reported on {@code training-events}.
 *
 * <p>Publishing is the last step and one transaction: a run killed or interrupted at any earlier
 * point publishes nothing, and the next version number is read from {@code models} at publish time,
 * so versions never repeat or go backwards across restarts. If another version appeared during the
 * run, the candidate was judged against the wrong model: the run fails instead of accepting it, so
 * {@code accepted} always means the candidate is about to be published. The same check is made
 * again inside the publishing transaction ({@link ModelPublisher#publishIfLatest}), after every
 * other publisher of the model is fenced, so two trainers of one model (or a trainer and a
 * rollback) cannot both publish a version judged against the same one.
 *
 * <p>A serving model that Osprey cannot fine-tune (one imported from PyTorch as TorchScript) is
 * treated as a champion to beat: the candidate is a fresh model of the configured architecture,
 * trained on the same base data and feedback, and gated against the imported one on the same
 * held-out set. The verdict's message and {@code importedChampion} detail say so.
 */
public final class RetrainRun implements Consumer<TriggerRequest> {

    public static final String ACCEPTED = "accepted";
    public static final String REJECTED = "rejected";
    public static final String FAILED = "failed";

    private static final Logger LOG = LoggerFactory.getLogger(RetrainRun.class);
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final int SEED = 42;

    private final TrainerConfig config;
    private final BaseData base;
    private final ExampleSource feedback;
    private final ModelPublisher publisher;
    private final TrainingEvents events;
    private final TrainerMetrics metrics;
    private final Supplier<Map<String, Object>> live;
    private final Optional<ShadowTrial> shadow;
    private final AtomicInteger runs = new AtomicInteger();
    private final AtomicReference<RunReport> last = new AtomicReference<>();

    /**
     * @param live live accuracy to put on the {@code started} event
     */
    public RetrainRun(TrainerConfig config, BaseData base, ExampleSource feedback, ModelPublisher publisher,
                      TrainingEvents events, TrainerMetrics metrics, Supplier<Map<String, Object>> live) {
        this(config, base, feedback, publisher, events, metrics, live, Optional.empty());
    }

    /**
     * @param live   live accuracy to put on the {@code started} event
     * @param shadow where an accepted candidate goes with {@code --promotion shadow}: published as the
     *               challenger and judged live, instead of published as the next version
     */
    public RetrainRun(TrainerConfig config, BaseData base, ExampleSource feedback, ModelPublisher publisher,
                      TrainingEvents events, TrainerMetrics metrics, Supplier<Map<String, Object>> live,
                      Optional<ShadowTrial> shadow) {
        this.shadow = shadow;
        this.config = config;
        this.base = base;
        this.feedback = feedback;
        this.publisher = publisher;
        this.events = events;
        this.metrics = metrics;
        this.live = live;
    }

    /** How the last run ended, if one did. */
    public Optional<RunReport> last() {
        return Optional.ofNullable(last.get());
    }

    @Override
    public void accept(TriggerRequest request) {
        int number = runs.incrementAndGet();
        Run run = new Run("r-" + RUN_TIME.format(Instant.now()) + "-" + number, number, request);
        long start = System.nanoTime();
        RunReport report = run.execute();
        last.set(report);
        metrics.run(request.source().id(), report.outcome(), Duration.ofNanos(System.nanoTime() - start));
        events.flush();
    }

    /** Why a run stops short of a decision. */
    private static final class RunFailure extends Exception {
        RunFailure(String message) {
            super(message);
        }
    }

    /** The state of one run. */
    private final class Run implements TrainingListener {

        private final String id;
        private final int number;
        private final TriggerRequest request;
        private final String model = config.modelName();
        private final String trigger;

        Run(String id, int number, TriggerRequest request) {
            this.id = id;
            this.number = number;
            this.request = request;
            this.trigger = request.source().id();
        }

        RunReport execute() {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("reasons", request.reasons());
            details.put("fresh", request.fresh());
            details.put("live", live.get());
            events.emit(TrainingEvent.run("started", model, id, trigger, request.describe(), details));
            try {
                return decide();
            } catch (RunFailure e) {
                return failed(e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("run {} of {} failed", id, model, e);
                return failed(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }

        private RunReport decide() throws RunFailure {
            ModelPublisher.Versions before = publisher.versions(model);
            Optional<ModelArtifact> serving = before.newestUsable();
            TrainingSets sets = TrainingSets.assemble(base, feedback.all(), config.gate(), config.run(),
                    SEED + number);
            LOG.info("run {} of {}: training on {} ({} images), validating on {}, gating on {}; {}", id, model,
                    sets.train().name(), sets.train().size(), sets.validation().size(), sets.gate().size(),
                    sets.counts());
            TrainingSpec spec = spec(serving);
            TrainingResult result = new ModelTrainer().train(spec, sets.train(), sets.validation(), this);
            if (result.stopReason() == TrainingResult.StopReason.INTERRUPTED) {
                throw new RunFailure("interrupted (the trainer is stopping); nothing published");
            }
            double candidate = score(result.artifact(), sets);
            Double servingScore = serving.isPresent() ? score(serving.get(), sets) : null;
            Integer servingVersion = serving.map(a -> a.manifest().version()).orElse(null);
            Map<String, Object> details = new LinkedHashMap<>(sets.counts());
            details.put("bestEpoch", result.bestEpoch());
            details.put("stopReason", result.stopReason().name().toLowerCase(Locale.ROOT));
            details.put("fineTune", spec.isFineTune());
            if (servingVersion != null) {
                details.put("servingVersion", servingVersion);
            }
            String versus = importedChampion(serving)
                    .map(tag -> {
                        details.put("importedChampion", tag);
                        details.put("candidateArchitecture", spec.architecture().id());
                        return "fresh " + spec.architecture().id() + " candidate against the imported "
                                + ModelManifest.TORCHSCRIPT + " champion " + tag + ", which cannot be fine-tuned: ";
                    })
                    .orElse("");
            details.put("live", live.get());
            String rejection = rejection(candidate, servingScore, result, spec);
            if (rejection != null) {
                emitVerdict(REJECTED, candidate, servingScore, versus + rejection, details);
                return report(REJECTED, candidate, servingScore, null, rejection);
            }
            // Checked before "accepted" is emitted, so that "accepted" means "about to be published".
            // Compared with the highest version at the start, not the serving one: a refused newer
            // record (say a broken v5 above a good v4) must not fail every run.
            int latest = publisher.latestVersion(model);
            int expected = servingVersion == null ? 0 : servingVersion;
            if (latest != before.highestVersion()) {
                String stale = "v" + latest + " was published during the run (it started from v" + expected
                        + "); this candidate was not judged against it, so it is not published";
                throw new RunFailure(stale);
            }
            String why = servingScore == null
                    ? String.format(Locale.ROOT, "candidate %.4f; no model serves yet", candidate)
                    : String.format(Locale.ROOT, "candidate %.4f vs serving %.4f (tolerance %.4f)", candidate,
                            servingScore, config.gate().tolerance());
            emitVerdict(ACCEPTED, candidate, servingScore, versus + why, details);
            ModelManifest published;
            try {
                if (shadow.isPresent() && servingVersion != null) {
                    // The highest version may be a challenger's, which takes a number too.
                    ModelArtifact challenger = withRunInfo(result.artifact(), candidate, sets);
                    published = publisher.publishChallenger(challenger, model, expected, before.highestVersion());
                    shadow.get().started(challenger.withVersion(model, published.version(), expected), expected, id,
                            Map.of("candidateScore", candidate, "servingScore", servingScore));
                    events.emit(TrainingEvent.published(model, id, trigger, published.version(), candidate,
                            servingScore, "published " + published.tag() + " as the challenger, in shadow",
                            Map.of("parentVersion", expected, "promotion", "shadow")));
                    return report(ACCEPTED, candidate, servingScore, published.version(),
                            "published " + published.tag() + " in shadow");
                }
                published = publisher.publishIfLatest(withRunInfo(result.artifact(), candidate, sets), model,
                        expected, before.highestVersion());
            } catch (StalePublishException e) {
                // Another publisher (a second trainer, a rollback) got in between the check above and here.
                throw new RunFailure(e.getMessage());
            }
            events.emit(TrainingEvent.published(model, id, trigger, published.version(), candidate, servingScore,
                    "published " + published.tag(), Map.of("parentVersion", expected)));
            return report(ACCEPTED, candidate, servingScore, published.version(), "published " + published.tag());
        }

        /** The tag of the serving model if it is an imported one that no Osprey architecture can fine-tune. */
        private Optional<String> importedChampion(Optional<ModelArtifact> serving) {
            return serving.map(ModelArtifact::manifest).filter(ModelManifest::torchScript).map(ModelManifest::tag);
        }

        private TrainingSpec spec(Optional<ModelArtifact> serving) {
            // An imported model has no Osprey block to fine-tune: a fresh candidate has to beat it instead.
            boolean fresh = request.fresh() || serving.isEmpty() || importedChampion(serving).isPresent();
            Architecture arch = fresh ? config.architecture() : serving.get().architecture();
            int epochs = request.epochs().orElse(fresh ? config.run().freshEpochs() : config.run().epochs());
            TrainingSpec spec = TrainingSpec.defaults(arch)
                    .withModelName(model)
                    .withEpochs(epochs)
                    .withMaxWallTime(config.run().maxWallTime())
                    .withSeed(SEED + number);
            return fresh ? spec.fresh() : spec.withParent(serving.get());
        }

        /** Why the candidate is not published, or null if it is. */
        private String rejection(double candidate, Double serving, TrainingResult result, TrainingSpec spec) {
            if (serving == null) {
                return null;
            }
            if (spec.isFineTune() && result.bestEpoch() == 0) {
                return "no epoch improved on the serving model on the validation set; its weights are unchanged";
            }
            if (candidate < serving - config.gate().tolerance()) {
                return String.format(Locale.ROOT, "candidate %.4f is worse than serving %.4f by more than %s",
                        candidate, serving, config.gate().tolerance());
            }
            return null;
        }

        /** Accuracy on the gate set, fed exactly as the classifier feeds the model. */
        private double score(ModelArtifact artifact, TrainingSets sets) throws RunFailure {
            try (Model m = artifact.newModel()) {
                return Evaluator.accuracy(m, artifact.manifest(), sets.gate());
            } catch (InvalidArtifactException e) {
                throw new RunFailure("cannot load " + artifact.manifest().tag() + " to score it: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new RunFailure("cannot score " + artifact.manifest().tag() + " on the gate set: "
                        + e.getMessage());
            }
        }

        /** The candidate with how it came to be in its manifest. */
        private ModelArtifact withRunInfo(ModelArtifact artifact, double gateScore, TrainingSets sets) {
            ModelManifest m = artifact.manifest();
            Map<String, Object> training = new HashMap<>(m.training());
            training.put("runId", id);
            training.put("trigger", trigger);
            training.put("reasons", String.join("; ", request.reasons()));
            training.putAll(sets.counts());
            Map<String, Double> metricsMap = new HashMap<>(m.metrics());
            metricsMap.put("gateAccuracy", gateScore);
            ModelManifest withInfo = new ModelManifest(m.name(), m.version(), m.architecture(), m.input(),
                    m.normalization(), m.classes(), training, metricsMap, m.parentVersion(), m.weightsSha256(),
                    m.createdAt());
            return new ModelArtifact(withInfo, artifact.weights());
        }

        private void emitVerdict(String type, double candidate, Double serving, String message,
                                 Map<String, Object> details) {
            events.emit(TrainingEvent.verdict(type, model, id, trigger, candidate, serving, message, details));
        }

        private RunReport failed(String message) {
            events.emit(TrainingEvent.run(FAILED, model, id, trigger, message, Map.of()));
            return report(FAILED, null, null, null, message);
        }

        private RunReport report(String outcome, Double candidate, Double serving, Integer version, String message) {
            LOG.info("run {} of {} ({}): {}: {}", id, model, trigger, outcome, message);
            return new RunReport(id, trigger, outcome, candidate, serving, version, message, Instant.now());
        }

        @Override
        public void onEpochEnd(EpochStats s) {
            metrics.epoch(model, s.meanLoss(), s.testAccuracy());
            events.emit(TrainingEvent.epoch(model, id, trigger, s.epoch(), s.meanLoss(), s.testAccuracy(),
                    Map.of("imagesPerSecond", Math.round(s.imagesPerSecond()),
                            "seconds", s.trainTime().toMillis() / 1000.0, "complete", s.complete())));
        }
    }
}
