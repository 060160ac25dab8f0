package dev.osprey.trainer.run;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /** The report as JSON-ready values (the shared mapper has no java.time support). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runId", runId);
        m.put("trigger", trigger);
        m.put("outcome", outcome);
        m.put("candidateScore", candidateScore);
        m.put("servingScore", servingScore);
        m.put("version", version);
        m.put("message", message);
        m.put("finishedAt", finishedAt.toString());
        return m;
    }
}
