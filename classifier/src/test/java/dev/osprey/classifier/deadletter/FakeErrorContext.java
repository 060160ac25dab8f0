package dev.osprey.classifier.deadletter;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;

/** The context Kafka Streams hands an exception handler, for one source record. */
record FakeErrorContext(String topic, int partition, long offset, Headers headers, long timestamp,
                        byte[] sourceRawKey, byte[] sourceRawValue) implements ErrorHandlerContext {

    static FakeErrorContext of(byte[] key, byte[] value, Headers headers) {
        return new FakeErrorContext("images", 2, 41, headers == null ? new RecordHeaders() : headers, 1234L, key,
                value);
    }

    @Override
    public String processorNodeId() {
        return "batcher";
    }

    @Override
    public TaskId taskId() {
        return new TaskId(0, partition);
    }
}
