package dev.osprey.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JSON examples in docs/FORMATS.md are the contract: each one must read into its record and
 * write back to the same JSON.
 */
class FormatsDocTest {

    private static final Path DOC = Path.of("..", "docs", "FORMATS.md");
    private static final Pattern EXAMPLE =
            Pattern.compile("<!-- example: ([a-z-]+) -->\\s*```json\\s*(.*?)```", Pattern.DOTALL);
    private static final Map<String, JsonSerde<?>> SERDES = Map.of(
            "prediction", Prediction.serde(),
            "feedback-correction", FeedbackCorrection.serde(),
            "retrain-request", RetrainRequest.serde(),
            "training-event", TrainingEvent.serde());

    record Example(String type, String json) {
        @Override
        public String toString() {
            return type;
        }
    }

    static Stream<Example> examples() throws IOException {
        Matcher m = EXAMPLE.matcher(Files.readString(DOC));
        List<Example> out = new ArrayList<>();
        while (m.find()) {
            out.add(new Example(m.group(1), m.group(2)));
        }
        assertThat(out).extracting(Example::type).containsAll(SERDES.keySet());
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void exampleRoundTrips(Example example) throws IOException {
        @SuppressWarnings("unchecked")
        JsonSerde<Object> serde = (JsonSerde<Object>) SERDES.get(example.type());
        assertThat(serde).as("a serde for example type %s", example.type()).isNotNull();
        byte[] original = example.json().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Object value = serde.fromBytes(original);
        JsonNode written = Json.mapper().readTree(serde.toBytes(value));
        JsonNode expected = Json.mapper().readTree(original);
        assertThat(written).isEqualTo(expected);
    }
}
