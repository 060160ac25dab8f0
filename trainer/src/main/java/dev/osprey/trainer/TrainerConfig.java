package dev.osprey.trainer;

import dev.osprey.core.model.Architecture;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.rollback.RollbackSettings;
import dev.osprey.trainer.shadow.ShadowSettings;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the trainer service is told at start, validated once.
 *
 * @param kafka            where the cluster is, how to connect, and the topic names
 * @param applicationId    Kafka Streams application id; the default, {@link #defaultApplicationId},
 *                         names the model, so trainers of different models never share one and two
 *                         trainers of one model share theirs (one reads the feedback at a time)
 * @param modelName        the model this trainer retrains and publishes (the key on {@code models})
 * @param architecture     what a run trains from scratch (no model yet, or {@code fresh=true});
 *                         a fine-tune keeps the serving model's architecture
 * @param triggers         automatic triggers and coalescing
 * @param gate             held-out data and tolerance
 * @param run              epochs, time budget and training mix of a run
 * @param joinWindow       how far apart in time a label-only correction and its image on
 *                         {@code images} (and a prediction and its feedback) may be and still join;
 *                         the join stores keep the window's images locally, without changelogs, so
 *                         their disk grows with it, and a crash loses the corrections still waiting
 *                         inside the window for their image
 * @param http             the {@code POST /retrain} endpoint
 * @param stateDir         Kafka Streams state directory (a cache: Kafka holds the data); empty uses
 *                         a fresh temporary one, restored from the changelogs at start
 * @param rollback         automatic rollback of a swapped-in version that does worse live
 * @param promotion        how a candidate that passes the gate is published: at once, or through shadow scoring
 * @param maxFeedback      the most feedback examples kept to train on ({@code --max-feedback}); the
 *                         newest per class are kept (see {@link FeedbackStore}), at the model's input
 *                         resolution, so the heap they take is bounded by about this many times the
 *                         input's bytes
 */
public record TrainerConfig(KafkaSettings kafka, String applicationId, String modelName,
                            Architecture architecture, TriggerSettings triggers, GateSettings gate, RunSettings run,
                            Duration joinWindow, HttpSettings http, Optional<Path> stateDir,
                            RollbackSettings rollback, int maxFeedback, ShadowSettings promotion) {

    public static final String DEFAULT_APPLICATION_ID = "osprey-trainer";
    public static final Duration DEFAULT_JOIN_WINDOW = Duration.ofMinutes(10);

    public TrainerConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(triggers, "triggers");
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(joinWindow, "joinWindow");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(rollback, "rollback");
        Objects.requireNonNull(promotion, "promotion");
        if (applicationId == null || applicationId.isBlank()) {
            throw new IllegalArgumentException("application id must not be blank");
        }
        if (modelName == null || modelName.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (maxFeedback < 1 || maxFeedback > FeedbackStore.MAX_CAPACITY) {
            throw new IllegalArgumentException("--max-feedback must be between 1 and " + FeedbackStore.MAX_CAPACITY
                    + ": " + maxFeedback);
        }
        if (joinWindow.compareTo(Duration.ofSeconds(1)) < 0 || joinWindow.compareTo(Duration.ofDays(30)) > 0) {
            throw new IllegalArgumentException("--join-window must be between 1 s and 30 days: " + joinWindow);
        }
    }

    /** Defaults for model {@code modelName} on a cluster at {@code bootstrapServers}. */
    public static TrainerConfig defaults(String bootstrapServers, OspreyTopics topics, String modelName) {
        return defaults(new KafkaSettings(bootstrapServers, topics), modelName);
    }

    /** Defaults for model {@code modelName} on the cluster {@code kafka} describes. */
    public static TrainerConfig defaults(KafkaSettings kafka, String modelName) {
        return new TrainerConfig(kafka, defaultApplicationId(kafka, modelName), modelName,
                Architecture.MLP, TriggerSettings.defaults(), GateSettings.defaults(), RunSettings.defaults(),
                DEFAULT_JOIN_WINDOW, HttpSettings.defaults(), Optional.empty(), RollbackSettings.defaults(),
                FeedbackStore.DEFAULT_CAPACITY, ShadowSettings.offline());
    }

    /** {@code <prefix>osprey-trainer-<model>}: one application, so one active reader, per model. */
    public static String defaultApplicationId(KafkaSettings kafka, String modelName) {
        return kafka.topicPrefix() + DEFAULT_APPLICATION_ID + "-" + modelName;
    }

    /** Kafka bootstrap servers. */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Topic names. */
    public OspreyTopics topics() {
        return kafka.topics();
    }

    public TrainerConfig withArchitecture(Architecture a) {
        return new TrainerConfig(kafka, applicationId, modelName, a, triggers, gate, run,
                joinWindow, http, stateDir, rollback, maxFeedback, promotion);
    }

    public TrainerConfig withTriggers(TriggerSettings t) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, t, gate, run,
                joinWindow, http, stateDir, rollback, maxFeedback, promotion);
    }

    public TrainerConfig withGate(GateSettings g) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, g, run,
                joinWindow, http, stateDir, rollback, maxFeedback, promotion);
    }

    public TrainerConfig withRun(RunSettings r) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate, r,
                joinWindow, http, stateDir, rollback, maxFeedback, promotion);
    }

    public TrainerConfig withJoinWindow(Duration w) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate,
                run, w, http, stateDir, rollback, maxFeedback, promotion);
    }

    public TrainerConfig withHttp(HttpSettings h) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate,
                run, joinWindow, h, stateDir, rollback, maxFeedback, promotion);
    }

    public TrainerConfig withStateDir(Path dir) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate,
                run, joinWindow, http, Optional.of(dir), rollback, maxFeedback, promotion);
    }

    public TrainerConfig withRollback(RollbackSettings r) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate,
                run, joinWindow, http, stateDir, r, maxFeedback, promotion);
    }

    public TrainerConfig withPromotion(ShadowSettings p) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate,
                run, joinWindow, http, stateDir, rollback, maxFeedback, p);
    }

    public TrainerConfig withMaxFeedback(int n) {
        return new TrainerConfig(kafka, applicationId, modelName, architecture, triggers, gate,
                run, joinWindow, http, stateDir, rollback, n, promotion);
    }
}
