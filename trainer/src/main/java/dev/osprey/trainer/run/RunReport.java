package dev.osprey.trainer.run;

import java.time.Instant;

/**
 * How a run ended, for {@code GET /status}.
 *
 * @param runId          the run
 * @param trigger        what started it
 * @param outcome        {@code accepted}, {@code rejected} or {@code failed}
 * @param candidateScore the candidate's gate accuracy, or null
 * @param servingScore   the serving model's gate accuracy, or null
 * @param version        the version published, or null
 * @param message        words for people
 * @param finishedAt     when it ended
 */
public record RunReport(String runId, String trigger, String outcome, Double candidateScore, Double servingScore,
                        Integer version, String message, Instant finishedAt) {
}
