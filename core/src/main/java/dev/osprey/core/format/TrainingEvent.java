package dev.osprey.core.format;

import java.util.Map;

/**
 * What the trainer did, on {@code training-events} (key: model name).
 *
 * @param type     {@code started}, {@code epoch}, {@code accepted}, {@code rejected}, {@code published},
 *                 {@code failed}, or {@code model-refused} (a classifier refused an artifact)
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

    public static JsonSerde<TrainingEvent> serde() {
        return new JsonSerde<>(TrainingEvent.class);
    }
}
