package dev.osprey.trainer;

import dev.osprey.core.format.RetrainRequest;
import dev.osprey.core.format.ShadowPrediction;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.trainer.feedback.EnvelopeProcessor;
import dev.osprey.trainer.feedback.ExampleDecoder;
import dev.osprey.trainer.feedback.ExampleRecorder;
import dev.osprey.trainer.feedback.FeedbackItem;
import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.FeedbackListener;
import dev.osprey.trainer.feedback.FeedbackParser;
import dev.osprey.trainer.feedback.FeedbackStore;
import dev.osprey.trainer.feedback.ImageEnvelope;
import dev.osprey.trainer.feedback.LabelledExample;
import dev.osprey.trainer.live.Outcome;
import dev.osprey.trainer.live.PredictedClass;
import dev.osprey.trainer.live.PredictionParser;
import dev.osprey.trainer.shadow.ShadowPair;
import dev.osprey.trainer.shadow.ShadowParser;
import dev.osprey.trainer.trigger.RetrainRequestParser;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.state.Stores;

/**
 * The trainer's topology. Pure: it starts nothing, so tests hand it to {@code TopologyTestDriver}.
 *
 * <ol>
 *   <li><b>Examples.</b> {@code feedback} is parsed into labelled images and label-only
 *       corrections. Corrections are joined with {@code images} by id in a stream-stream join: the
 *       image and its correction must lie within {@code joinWindow} of each other (either may come
 *       first). A windowed join, not a table of all images, because only the window's images need
 *       keeping: its stores expire them after the window, where a table would hold every image ever
 *       sent. The join stores are local only, without changelogs (see {@link #localOnly}). Labelled
 *       images and joined corrections are decoded, converted to the model's input resolution and kept
 *       in the bounded {@link FeedbackStore} (newest per class) that runs train from, with the
 *       changelogged {@value ExampleRecorder#STORE} store as its durable copy.</li>
 *   <li><b>Live accuracy.</b> {@code predictions} are joined with every feedback label by id
 *       within the same window; each match is one {@link Outcome}.</li>
 *   <li><b>Shadow scoring.</b> {@code predictions-shadow} (a challenger's class beside the
 *       champion's for one image) is joined with the labels the same way; each match is one
 *       {@link ShadowPair} for the {@code ShadowTrial}.</li>
 *   <li><b>Retrain requests</b> on {@code retrain} are parsed and handed on.</li>
 * </ol>
 * {@code images}, {@code feedback} and {@code predictions} are keyed by image id with the same
 * partition count, so both joins are co-partitioned and need no repartition topic.
 */
public final class TrainerTopology {

    static final String IMAGE_JOIN_STORE = "correction-image-join";
    static final String OUTCOME_JOIN_STORE = "prediction-label-join";
    static final String SHADOW_JOIN_STORE = "shadow-label-join";
    /** Records whose timestamps are this far out of order still join. */
    static final Duration GRACE = Duration.ofMinutes(1);

    private TrainerTopology() {
    }

    /**
     * @param joinWindow how far apart a correction and its image (a prediction and its label) may be
     * @param feedback   hears about feedback records and stored examples
     * @param examples   the bounded store runs train from; the recorder keeps it in step with the
     *                   durable {@value ExampleRecorder#STORE} store
     * @param outcomes   receives each prediction checked against its label
     * @param pairs      receives each shadow prediction (champion and challenger) checked against its label
     * @param retrain    receives each retrain request with its key (the model name)
     */
    public static Topology build(OspreyTopics topics, Duration joinWindow, FeedbackListener feedback,
                                 FeedbackStore examples, Consumer<Outcome> outcomes, Consumer<ShadowPair> pairs,
                                 BiConsumer<String, RetrainRequest> retrain) {
        StreamsBuilder builder = new StreamsBuilder();
        JoinWindows window = JoinWindows.ofTimeDifferenceAndGrace(joinWindow, GRACE);

        KStream<String, ImageEnvelope> images = builder
                .stream(topics.images(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("images"))
                .processValues(EnvelopeProcessor::new, Named.as("images-envelope"));
        KStream<String, FeedbackItem> parsed = builder
                .stream(topics.feedback(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("feedback"))
                .processValues(() -> new FeedbackParser(feedback), Named.as("feedback-parse"));

        KStream<String, FeedbackItem> labelledImages = parsed
                .filter((id, item) -> item.kind() == FeedbackKind.IMAGE, Named.as("labelled-images"));
        KStream<String, Integer> corrections = parsed
                .filter((id, item) -> item.kind() == FeedbackKind.CORRECTION, Named.as("corrections"))
                .mapValues(FeedbackItem::label, Named.as("correction-labels"));
        KStream<String, FeedbackItem> joinedCorrections = corrections.join(images,
                (label, image) -> new FeedbackItem(FeedbackKind.CORRECTION, label, image), window,
                localOnly(StreamJoined.with(Serdes.String(), Serdes.Integer(), ImageEnvelope.serde())
                        .withName(IMAGE_JOIN_STORE).withStoreName(IMAGE_JOIN_STORE)));

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ExampleRecorder.STORE),
                        Serdes.String(), LabelledExample.serde())
                .withLoggingEnabled(Map.of())
                .withCachingDisabled());
        labelledImages.merge(joinedCorrections, Named.as("examples"))
                .processValues(ExampleDecoder::new, Named.as("example-decode"))
                .process(() -> new ExampleRecorder(feedback, examples), Named.as("example-store"),
                        ExampleRecorder.STORE);

        KStream<String, Integer> labels = parsed.mapValues(FeedbackItem::label, Named.as("feedback-labels"));
        builder.stream(topics.predictions(), Consumed.with(Serdes.String(), Serdes.ByteArray())
                        .withName("predictions"))
                .processValues(PredictionParser::new, Named.as("predictions-parse"))
                .join(labels, Outcome::of, window,
                        localOnly(StreamJoined.with(Serdes.String(), PredictedClass.serde(), Serdes.Integer())
                                .withName(OUTCOME_JOIN_STORE).withStoreName(OUTCOME_JOIN_STORE)))
                .foreach((id, outcome) -> outcomes.accept(outcome), Named.as("outcomes"));

        builder.stream(topics.predictionsShadow(), Consumed.with(Serdes.String(), Serdes.ByteArray())
                        .withName("predictions-shadow"))
                .processValues(ShadowParser::new, Named.as("shadow-parse"))
                .join(labels, ShadowPair::of, window,
                        localOnly(StreamJoined.with(Serdes.String(), ShadowPrediction.serde(), Serdes.Integer())
                                .withName(SHADOW_JOIN_STORE).withStoreName(SHADOW_JOIN_STORE)))
                .foreach((id, pair) -> pairs.accept(pair), Named.as("shadow-pairs"));

        builder.stream(topics.retrain(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("retrain"))
                .processValues(RetrainRequestParser::new, Named.as("retrain-parse"))
                .foreach(retrain::accept, Named.as("retrain-requests"));
        return builder.build();
    }

    /**
     * A join's stores without changelogs. The image join keeps every image of the window: at 45k
     * images/s that is terabytes of changelog (its retention is the window plus a day) for little
     * gain: a store lost to a crash or a task move starts empty, which loses only the corrections
     * (and predictions) still waiting inside the window for their partner. Examples already joined
     * are safe in the changelogged examples store.
     */
    private static <K, V1, V2> StreamJoined<K, V1, V2> localOnly(StreamJoined<K, V1, V2> joined) {
        return joined.withLoggingDisabled();
    }
}
