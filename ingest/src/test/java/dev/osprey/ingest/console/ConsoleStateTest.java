package dev.osprey.ingest.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.osprey.core.format.Json;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class ConsoleStateTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    private final Thumbnails thumbnails = new Thumbnails(4, 1 << 20);
    private final ConsoleState state = new ConsoleState(thumbnails, clock::get);

    private static JsonNode prediction(String id, int predicted, Integer truth, int latency) {
        ObjectNode p = Json.mapper().createObjectNode().put("id", id).put("class", predicted).put("label", "c" + predicted)
                .put("confidence", 0.9).put("model", "fashion").put("version", 2).put("latencyMs", latency);
        p.putArray("top").addObject().put("class", predicted).put("label", "c" + predicted).put("p", 0.9);
        if (truth != null) {
            p.put("truth", truth);
        }
        return p;
    }

    @Test
    void countsAccuracyOnlyOverPredictionsWithATruth() {
        state.prediction(prediction("a", 1, 1, 10));
        state.prediction(prediction("b", 2, 3, 20));
        state.prediction(prediction("c", 4, null, 30));

        JsonNode stats = state.since(0, 10).get("stats");
        assertThat(stats.get("predictions").asLong()).isEqualTo(3);
        assertThat(stats.get("withTruth").asLong()).isEqualTo(2);
        assertThat(stats.get("accuracy").asDouble()).isEqualTo(0.5);
        assertThat(stats.get("latencyP50").asInt()).isEqualTo(20);
        assertThat(stats.get("latencyP99").asInt()).isEqualTo(30);
        assertThat(stats.get("classes").get("4").asText()).isEqualTo("c4");
        assertThat(stats.get("versionAccuracy").get("2").get("n").asLong()).isEqualTo(2);
    }

    @Test
    void aClientAskingAfterSeqNGetsOnlyWhatCameLater() {
        state.prediction(prediction("a", 1, null, 1));
        long seen = state.seq();
        state.prediction(prediction("b", 1, null, 1));
        state.trainingEvent(Json.mapper().createObjectNode().put("type", "started"));

        JsonNode later = state.since(seen, 10);
        assertThat(later.get("predictions")).hasSize(1);
        assertThat(later.get("predictions").get(0).get("id").asText()).isEqualTo("b");
        assertThat(later.get("events")).hasSize(1);
        assertThat(later.get("seq").asLong()).isEqualTo(state.seq());
        assertThat(state.since(state.seq(), 10).get("predictions")).isEmpty();
    }

    @Test
    void ringsAreBoundedAndAnUpdateCarriesOnlyTheNewestPredictions() {
        for (int i = 0; i < ConsoleState.PREDICTIONS + 10; i++) {
            state.prediction(prediction("p" + i, 1, null, 1));
        }
        assertThat(state.since(0, 1000).get("predictions")).hasSize(ConsoleState.PREDICTIONS);
        JsonNode three = state.since(0, 3).get("predictions");
        assertThat(three).hasSize(3);
        assertThat(three.get(2).get("id").asText()).isEqualTo("p" + (ConsoleState.PREDICTIONS + 9));
        assertThat(state.latestModel()).contains("fashion");
    }

    @Test
    void aPredictionCarriesItsImageAsASmallPng() {
        RawImage grey = new RawImage(28, 28, 1, new byte[28 * 28]);
        RecordHeaders headers = new RecordHeaders();
        ImageHeaders.put(headers, ImageHeaders.CONTENT_TYPE, ImageHeaders.PNG);
        thumbnails.put("a", ImageEncoder.png(grey), headers);
        state.prediction(prediction("a", 1, null, 1));

        assertThat(state.since(0, 10).get("predictions").get(0).get("thumb").asText()).startsWith("data:image/png;base64,");
    }

    @Test
    void thumbnailsKeepTheNewestWithinTheirCountAndShrinkLargeImages() {
        RawImage big = new RawImage(200, 100, 1, new byte[200 * 100]);
        for (int i = 0; i < 6; i++) {
            thumbnails.put("t" + i, ImageEncoder.png(big), null);
        }
        assertThat(thumbnails.size()).isEqualTo(4);
        assertThat(thumbnails.get("t0")).isEmpty();
        assertThat(thumbnails.get("t5")).isPresent();
        thumbnails.put("junk", new byte[] {1, 2, 3}, null);
        assertThat(thumbnails.get("junk")).isEmpty();
    }

    @Test
    void theRateCountsWholeSecondsOnly() {
        state.prediction(prediction("a", 1, null, 1));
        state.prediction(prediction("b", 1, null, 1));
        assertThat(state.since(0, 10).get("stats").get("imagesPerSecond").asDouble()).isZero();
        clock.addAndGet(1_000_000_000L);
        assertThat(state.since(0, 10).get("stats").get("imagesPerSecond").asDouble()).isEqualTo(2.0 / 5);
    }

    private static JsonNode liveAccuracy(int version, long[][] matrix) {
        ObjectNode e = Json.mapper().createObjectNode().put("type", "live-accuracy").put("model", "fashion")
                .put("version", version).put("ts", 5L);
        ObjectNode d = e.putObject("details").put("window", 20).put("windowAccuracy", 0.5);
        long n = 0;
        long right = 0;
        ArrayNode rows = d.putArray("confusion");
        ArrayNode perClass = d.putArray("perClass");
        for (int i = 0; i < matrix.length; i++) {
            ArrayNode row = rows.addArray();
            long total = 0;
            for (long c : matrix[i]) {
                row.add(c);
                total += c;
            }
            long diagonal = matrix[i].length > i ? matrix[i][i] : 0;
            n += total;
            right += diagonal;
            if (total == 0) {
                perClass.addNull();
            } else {
                perClass.add((double) diagonal / total);
            }
        }
        d.put("outcomes", n).put("correct", right).put("accuracy", n == 0 ? 0 : (double) right / n);
        return e;
    }

    @Test
    void theTrainersMatrixIsKeptPerVersionAndSentOnlyWhenNew() {
        state.trainingEvent(liveAccuracy(1, new long[][] {{3, 1}, {0, 0}}));
        long seen = state.seq();
        JsonNode first = state.since(0, 10);
        assertThat(first.get("events")).isEmpty(); // not a timeline entry
        JsonNode v1 = first.get("liveAccuracy").get(0);
        assertThat(v1.get("version").asInt()).isEqualTo(1);
        assertThat(v1.get("confusion").get(0).get(1).asLong()).isEqualTo(1);
        assertThat(v1.get("perClass").get(0).asDouble()).isEqualTo(0.75);
        assertThat(v1.get("perClass").get(1).isNull()).isTrue();
        assertThat(v1.get("accuracy").asDouble()).isEqualTo(0.75);
        assertThat(state.since(seen, 10).get("liveAccuracy")).isEmpty();

        state.trainingEvent(liveAccuracy(1, new long[][] {{3, 1}, {0, 4}}));
        JsonNode later = state.since(seen, 10).get("liveAccuracy");
        assertThat(later).hasSize(1);
        assertThat(later.get(0).get("confusion").get(1).get(1).asLong()).isEqualTo(4);
    }

    @Test
    void aMatrixTooLargeOrRaggedIsRefusedAndVersionsAreBounded() {
        state.trainingEvent(liveAccuracy(1, new long[101][101]));
        state.trainingEvent(liveAccuracy(2, new long[][] {{1, 2}, {3}}));
        assertThat(state.since(0, 10).get("liveAccuracy")).isEmpty();
        for (int v = 1; v <= LiveMatrices.VERSIONS + 3; v++) {
            state.trainingEvent(liveAccuracy(v, new long[][] {{1}}));
        }
        JsonNode kept = state.since(0, 10).get("liveAccuracy");
        assertThat(kept).hasSize(LiveMatrices.VERSIONS);
        assertThat(kept.get(0).get("version").asInt()).isEqualTo(4);
    }

    @Test
    void aNewerVersionsFirstPredictionPutsOneServingEntryOnTheTimeline() {
        state.prediction(prediction("a", 1, null, 1));
        state.prediction(prediction("b", 1, null, 1));
        ObjectNode v3 = (ObjectNode) prediction("c", 1, null, 1);
        v3.put("version", 3).put("classifyTs", 777L);
        state.prediction(v3);
        // An instance still finishing a v2 batch after the swap is not a swap back.
        state.prediction(prediction("d", 1, null, 1));

        JsonNode events = state.since(0, 10).get("events");
        assertThat(events).hasSize(2);
        assertThat(events.get(0).get("type").asText()).isEqualTo("serving");
        assertThat(events.get(0).get("version").asInt()).isEqualTo(2);
        assertThat(events.get(1).get("version").asInt()).isEqualTo(3);
        assertThat(events.get(1).get("ts").asLong()).isEqualTo(777L);
        assertThat(events.get(1).get("message").asText()).contains("replace v2");
        assertThat(state.since(0, 10).get("stats").get("serving").get("fashion").asInt()).isEqualTo(3);
    }
}
