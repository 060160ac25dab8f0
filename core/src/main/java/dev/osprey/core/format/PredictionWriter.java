package dev.osprey.core.format;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes one {@link Prediction} record's JSON straight from the classifier's numbers, through
 * Jackson's streaming generator: the bytes are the same as {@code Prediction.serde().toBytes(...)}
 * (field order, the omitted empty fields, number formatting; {@code PredictionWriterTest} holds
 * them equal), without building the record, its list of {@link Prediction.Scored} and the boxed
 * truth first. One instance per thread: it reuses its output buffer.
 */
public final class PredictionWriter {

    private final JsonFactory factory = Json.mapper().getFactory();
    private final ByteArrayBuilder out = new ByteArrayBuilder(512);

    /**
     * The JSON of one prediction.
     *
     * @param classes     the model's class names, indexed by class
     * @param topClasses  the best classes, most probable first (the first is the prediction)
     * @param topScores   their probabilities, already rounded as they are to be written
     * @param top         how many of {@code topClasses} to write
     * @param truth       the ground-truth class, or a negative number for none
     */
    public byte[] write(String id, List<String> classes, int[] topClasses, double[] topScores, int top,
                        String model, int version, int truth, long ingestTs, long classifyTs) {
        out.reset();
        try (JsonGenerator g = factory.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            string(g, "id", id);
            g.writeNumberField("class", topClasses[0]);
            string(g, "label", classes.get(topClasses[0]));
            g.writeNumberField("confidence", topScores[0]);
            if (top > 0) {
                g.writeArrayFieldStart("top");
                for (int j = 0; j < top; j++) {
                    g.writeStartObject();
                    g.writeNumberField("class", topClasses[j]);
                    string(g, "label", classes.get(topClasses[j]));
                    g.writeNumberField("p", topScores[j]);
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            string(g, "model", model);
            g.writeNumberField("version", version);
            if (truth >= 0) {
                g.writeNumberField("truth", truth);
            }
            g.writeNumberField("ingestTs", ingestTs);
            g.writeNumberField("classifyTs", classifyTs);
            g.writeNumberField("latencyMs", classifyTs - ingestTs);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a prediction as JSON", e); // an in-memory buffer
        }
        return out.toByteArray();
    }

    /** The mapper leaves out null and empty strings (NON_EMPTY); so does this. */
    private static void string(JsonGenerator g, String name, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            g.writeStringField(name, value);
        }
    }
}
