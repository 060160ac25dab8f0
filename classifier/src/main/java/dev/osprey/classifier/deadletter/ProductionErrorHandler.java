package dev.osprey.classifier.deadletter;

import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' production-exception hook: a record that cannot be produced (too large for the
 * topic, refused by the broker, not serializable) is counted, logged with the source record's
 * topic, partition and offset, and skipped, so that one output never kills a stream thread. A
 * retriable error (a timeout, a leader moving) is retried instead: Kafka Streams then re-processes
 * the task from its last commit, which loses and duplicates nothing.
 *
 * <p>Under exactly-once a failed send still aborts the open transaction (the producer enters an
 * abortable state), and the task re-processes from its last commit; this is why the classifier
 * bounds what it produces up front ({@link DeadLetterRecord}, image ids) rather than relying on
 * this hook, which is the last line.
 */
public final class ProductionErrorHandler implements ProductionExceptionHandler {

    /** Config key under which the app passes its {@link ProductionErrorListener} instance. */
    public static final String LISTENER_CONFIG = "osprey.production.error.listener";

    private static final Logger LOG = LoggerFactory.getLogger(ProductionErrorHandler.class);

    private ProductionErrorListener listener = ProductionErrorListener.NONE;

    @Override
    public void configure(Map<String, ?> configs) {
        if (configs.get(LISTENER_CONFIG) instanceof ProductionErrorListener l) {
            listener = l;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                Exception exception) {
        if (exception instanceof RetriableException) {
            LOG.warn("could not produce to {} for {}-{}@{} ({}); retrying the task", record.topic(),
                    context.topic(), context.partition(), context.offset(), exception.toString());
            return Response.retry();
        }
        skip(context, record.topic(), exception, "could not produce");
        return Response.resume();
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                             SerializationExceptionOrigin origin) {
        skip(context, record.topic(), exception, "could not serialize the " + origin.name().toLowerCase(Locale.ROOT)
                + " of a record");
        return Response.resume();
    }

    private void skip(ErrorHandlerContext context, String outputTopic, Exception exception, String what) {
        listener.productionFailed(outputTopic, exception.getClass().getSimpleName());
        LOG.error("{} to {} for source record {}-{}@{}; skipping it: {}", what, outputTopic, context.topic(),
                context.partition(), context.offset(), exception.toString());
    }
}
