package dev.osprey.classifier.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.image.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler.Response;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler.Result;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DeadLetterHandler}: what Kafka Streams is told to do with a record that threw in {@code process()}. */
class DeadLetterHandlerTest {

    private static final byte[] KEY = "img-1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = "not an image".getBytes(StandardCharsets.UTF_8);

    private final List<RejectReason> told = new ArrayList<>();
    private final DeadLetterHandler handler = new DeadLetterHandler();

    @BeforeEach
    void configure() {
        Map<String, Object> configs = new HashMap<>();
        configs.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "images-dlq");
        configs.put(DeadLetterHandler.LISTENER_CONFIG, (DeadLetterListener) told::add);
        handler.configure(configs);
    }

    private static String header(Headers headers, String key) {
        return new String(headers.lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    @Test
    void aRejectedRecordResumesWithOneDeadLetterOfItsOriginalBytesAndTheReason() {
        RecordHeaders original = new RecordHeaders();
        original.add("source", "upload#3".getBytes(StandardCharsets.UTF_8));
        Response response = handler.handleError(FakeErrorContext.of(KEY, VALUE, original),
                new Record<>("img-1", VALUE, 1234L),
                new RejectedRecordException(RejectReason.NOT_AN_IMAGE, "12 bytes, no signature"));

        assertThat(response.result()).isEqualTo(Result.RESUME);
        assertThat(response.deadLetterQueueRecords()).hasSize(1);
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("images-dlq");
        assertThat(dead.key()).isEqualTo(KEY);
        assertThat(dead.value()).isEqualTo(VALUE);
        assertThat(dead.timestamp()).isEqualTo(1234L);
        assertThat(header(dead.headers(), DeadLetterHeaders.ERROR)).isEqualTo("not-an-image");
        assertThat(header(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("12 bytes, no signature");
        assertThat(header(dead.headers(), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("images");
        assertThat(header(dead.headers(), DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("2");
        assertThat(header(dead.headers(), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("41");
        assertThat(header(dead.headers(), "source")).as("original headers are kept").isEqualTo("upload#3");
        assertThat(dead.headers().lastHeader(DeadLetterHeaders.TRUNCATED)).isNull();
        assertThat(told).containsExactly(RejectReason.NOT_AN_IMAGE);
    }

    @Test
    void anUnexpectedExceptionFailsTheThreadAndProducesNothing() {
        Response response = handler.handleError(FakeErrorContext.of(KEY, VALUE, null),
                new Record<>("img-1", VALUE, 0L), new IllegalStateException("bug"));
        assertThat(response.result()).isEqualTo(Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
        assertThat(told).isEmpty();
    }

    @Test
    void aTombstoneWithoutKeyBecomesADeadLetterToo() {
        Response response = handler.handleError(FakeErrorContext.of(null, null, null),
                new Record<>(null, null, 0L), new RejectedRecordException(RejectReason.EMPTY, "empty value"));
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.key()).isNull();
        assertThat(dead.value()).isNull();
        assertThat(header(dead.headers(), DeadLetterHeaders.ERROR)).isEqualTo("empty");
    }

    @Test
    void aDeadLetterTooLargeToProduceIsCutAndSaysWhatAndFromWhichSize() {
        byte[] huge = new byte[DeadLetterRecord.MAX_VALUE_BYTES + 1000];
        RecordHeaders bulky = new RecordHeaders();
        bulky.add("junk", new byte[DeadLetterRecord.MAX_ORIGINAL_HEADER_BYTES + 1]);
        String longReason = "r".repeat(10_000);
        Response response = handler.handleError(FakeErrorContext.of(KEY, huge, bulky),
                new Record<>("img-1", huge, 0L), new RejectedRecordException(RejectReason.TOO_LARGE, longReason));
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.value()).hasSize(DeadLetterRecord.MAX_VALUE_BYTES);
        assertThat(header(dead.headers(), DeadLetterHeaders.TRUNCATED)).isEqualTo("value,headers");
        assertThat(header(dead.headers(), DeadLetterHeaders.ORIGINAL_SIZE)).isEqualTo(Integer.toString(huge.length));
        assertThat(dead.headers().lastHeader("junk")).as("oversized original headers are dropped").isNull();
        assertThat(header(dead.headers(), DeadLetterHeaders.REASON)).hasSizeLessThanOrEqualTo(
                DeadLetterRecord.MAX_REASON_CHARS + 3);
        assertThat(header(dead.headers(), DeadLetterHeaders.ERROR)).isEqualTo("too-large");
    }

    @Test
    void refusesToStartWithoutADeadLetterTopic() {
        assertThatThrownBy(() -> new DeadLetterHandler().configure(Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    }
}
