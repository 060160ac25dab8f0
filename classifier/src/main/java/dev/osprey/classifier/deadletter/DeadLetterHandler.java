package dev.osprey.classifier.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' processing-exception hook (KIP-1034): a {@link RejectedRecordException} becomes
 * a dead letter carrying the source record's original bytes and Osprey's reason headers, sent
 * by Kafka Streams in the task's transaction; anything else fails the stream thread, because an
 * unexpected error must not silently drop an image. The dead letter is bounded
 * ({@link DeadLetterRecord}) so that it can always be produced.
 */
public final class DeadLetterHandler implements ProcessingExceptionHandler {

    /** Config key under which the app passes its {@link DeadLetterListener} instance. */
    public static final String LISTENER_CONFIG = "osprey.dead.letter.listener";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);

    private String topic;
    private DeadLetterListener listener = DeadLetterListener.NONE;

    @Override
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (t == null) {
            throw new IllegalStateException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG + " is not set");
        }
        topic = t.toString();
        if (configs.get(LISTENER_CONFIG) instanceof DeadLetterListener l) {
            listener = l;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (!(exception instanceof RejectedRecordException rejected)) {
            LOG.error("unexpected failure processing {}-{}@{}; failing the stream thread",
                    context.topic(), context.partition(), context.offset(), exception);
            return Response.fail();
        }
        LOG.debug("dead letter {}-{}@{}: {}", context.topic(), context.partition(), context.offset(),
                rejected.getMessage());
        listener.deadLettered(rejected.reason());
        DeadLetterRecord dead = DeadLetterRecord.of(context.sourceRawKey(), context.sourceRawValue(),
                context.headers(), rejected.reason(), rejected.getMessage(), context.topic(), context.partition(),
                context.offset());
        if (dead.truncated()) {
            LOG.warn("dead letter {}-{}@{} cut to fit {}: {}", context.topic(), context.partition(),
                    context.offset(), topic, header(dead, DeadLetterHeaders.TRUNCATED));
        }
        // A record without a timestamp (-1) takes the time it is handled: a produced record needs one.
        long timestamp = context.timestamp() >= 0 ? context.timestamp() : System.currentTimeMillis();
        return Response.resume(List.of(new ProducerRecord<>(topic, null, timestamp, dead.key(), dead.value(),
                dead.headers())));
    }

    private static String header(DeadLetterRecord dead, String key) {
        return new String(dead.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
