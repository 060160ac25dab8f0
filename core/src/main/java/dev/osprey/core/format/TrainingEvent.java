package dev.osprey.core.format;

import java.util.Map;

/**
 * What the trainer did, on {@code training-events} (key: model name).
 *
 * <p>Built with the typed factories below ({@link #run}, {@link #epoch}, {@link #verdict},
 * {@link #published}, {@link #ofVersion}), each filling the fields its type uses and leaving the
 * others absent.
 *
 * @param type     {@code started}, {@code epoch}, {@code accepted}, {@code rejected}, {@code published},
 *                 {@code failed}, {@code model-refused} (a classifier refused an artifact),
 *                 {@code live-accuracy} (a version's live accuracy, per class and as a confusion
 *                 matrix), {@code rolled-back} or {@code rollback-failed} (automatic rollback)
 * @param model    model name
 * @param runId    the training run this event belongs to (absent for {@code model-refused})
 * @param version  the version concerned (candidate or published), if any
 * @param trigger  what started the run
 * @param epoch    for {@code epoch}: its number, from 1
 * @param loss     for {@code epoch}: mean training loss
 * @param accuracy for {@code epoch}: held-out accuracy
 * @param candidateScore for {@code accepted}/{@code rejected}: the candidate's held-out accuracy
 * @param servingScore   for {@code accepted}/{@code rejected}: the serving model's held-out accuracy
 * @param message  words for people
 * @param details  anything else worth keeping
 * @param ts       when (ms since the epoch)
 */
public record TrainingEvent(String type, String model, String runId, Integer version, String trigger,
                            Integer epoch, Double loss, Double accuracy, Double candidateScore,
                            Double servingScore, String message, Map<String, Object> details, long ts) {

    public TrainingEvent {
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    /** An event of a run with no numbers of its own: {@code started}, {@code failed}. */
    public static TrainingEvent run(String type, String model, String runId, String trigger, String message,
                                    Map<String, Object> details) {
        return new TrainingEvent(type, model, runId, null, trigger, null, null, null, null, null, message, details,
                System.currentTimeMillis());
    }

    /** The end of epoch {@code epoch} of a run. */
    public static TrainingEvent epoch(String model, String runId, String trigger, int epoch, double loss,
                                      double accuracy, Map<String, Object> details) {
        return new TrainingEvent("epoch", model, runId, null, trigger, epoch, loss, accuracy, null, null, null,
                details, System.currentTimeMillis());
    }

    /** The gate's verdict ({@code accepted} or {@code rejected}); {@code servingScore} absent with no model yet. */
    public static TrainingEvent verdict(String type, String model, String runId, String trigger,
                                        double candidateScore, Double servingScore, String message,
                                        Map<String, Object> details) {
        return new TrainingEvent(type, model, runId, null, trigger, null, null, null, candidateScore, servingScore,
                message, details, System.currentTimeMillis());
    }

    /** A run's candidate published as {@code version}. */
    public static TrainingEvent published(String model, String runId, String trigger, int version,
                                          double candidateScore, Double servingScore, String message,
                                          Map<String, Object> details) {
        return new TrainingEvent("published", model, runId, version, trigger, null, null, null, candidateScore,
                servingScore, message, details, System.currentTimeMillis());
    }

    /**
     * An event about one version outside any run: {@code model-refused}, {@code live-accuracy},
     * {@code rolled-back}, {@code rollback-failed}.
     */
    public static TrainingEvent ofVersion(String type, String model, int version, String message,
                                          Map<String, Object> details) {
        return new TrainingEvent(type, model, null, version, null, null, null, null, null, null, message, details,
                System.currentTimeMillis());
    }

    public static JsonSerde<TrainingEvent> serde() {
        return new JsonSerde<>(TrainingEvent.class);
    }
}
