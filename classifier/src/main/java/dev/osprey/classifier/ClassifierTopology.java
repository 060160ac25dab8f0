package dev.osprey.classifier;

import dev.osprey.classifier.batch.BatchClassifier;
import dev.osprey.classifier.batch.BatchSettings;
import dev.osprey.classifier.batch.BatchingProcessor;
import dev.osprey.classifier.batch.InferencePool;
import dev.osprey.classifier.batch.InputReplayer;
import dev.osprey.core.topic.OspreyTopics;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The classifier's topology: {@code images} → batching processor → {@code predictions}, with
 * rejected images to {@code images-dlq}, a challenger's scores to {@code predictions-shadow} while
 * one runs, and the least confident predictions to {@code label-requests}; all in one transaction. Pure: it starts nothing, so tests hand it to
 * {@code TopologyTestDriver} with a fake classifier as well as to a real {@code KafkaStreams}.
 */
public final class ClassifierTopology {

    static final String SOURCE = "images-source";
    static final String BATCHER = "batcher";

    private ClassifierTopology() {
    }

    /** Every batch runs on its stream thread. */
    public static Topology build(OspreyTopics topics, BatchSettings settings, BatchClassifier classifier,
                                 InputReplayer replayer, ClassifierMetrics metrics) {
        return build(topics, settings, classifier, replayer, metrics, InferencePool.inline(), 1);
    }

    /**
     * Batches run on {@code pool} (owned by the caller, shared by every task), at most
     * {@code maxInFlight} per task at a time.
     */
    public static Topology build(OspreyTopics topics, BatchSettings settings, BatchClassifier classifier,
                                 InputReplayer replayer, ClassifierMetrics metrics, InferencePool pool,
                                 int maxInFlight) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.images());
        topology.addProcessor(BATCHER,
                () -> new BatchingProcessor(topics.images(), settings, classifier, replayer, metrics, pool,
                        maxInFlight), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(BatchingProcessor.POINTER_STORE), Serdes.Integer(), Serdes.Long())
                .withLoggingEnabled(Map.of())
                .withCachingDisabled(), BATCHER);
        topology.addSink(BatchingProcessor.PREDICTIONS_CHILD, topics.predictions(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), BATCHER);
        topology.addSink(BatchingProcessor.DEAD_LETTER_CHILD, topics.deadLetters(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), BATCHER);
        topology.addSink(BatchingProcessor.SHADOW_CHILD, topics.predictionsShadow(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), BATCHER);
        topology.addSink(BatchingProcessor.LABEL_REQUEST_CHILD, topics.labelRequests(),
                Serdes.String().serializer(), Serdes.ByteArray().serializer(), BATCHER);
        return topology;
    }
}
