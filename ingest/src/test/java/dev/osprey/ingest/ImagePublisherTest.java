package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.ingest.source.DatasetSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ImagePublisherTest {

    private static final OspreyTopics TOPICS = new OspreyTopics("t-", 2);
    private static final Dataset DATA = TestDatasets.gray("digits/test", 50, 7);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void publishesEveryImageOnceWithIdsHeadersAndPixels() {
        MockProducer<String, byte[]> producer = producer();
        IngestSummary summary = publish(producer, IngestOptions.builder("x").build());

        List<ProducerRecord<String, byte[]>> sent = producer.history();
        assertThat(summary.published()).isEqualTo(50);
        assertThat(summary.errors()).isZero();
        assertThat(sent).allSatisfy(r -> assertThat(r.topic()).isEqualTo("t-images"));
        assertThat(sent.get(42).key()).isEqualTo("test-00042");
        assertThat(sent.get(42).value()).isEqualTo(DATA.image(42).pixels());
        assertThat(ImageHeaders.text(sent.get(42).headers(), ImageHeaders.CONTENT_TYPE)).hasValue(ImageHeaders.RAW);
        assertThat(ImageHeaders.text(sent.get(42).headers(), ImageHeaders.WIDTH)).hasValue("28");
        assertThat(ImageHeaders.label(sent.get(42).headers())).hasValue(2);
        assertThat(ImageHeaders.text(sent.get(42).headers(), ImageHeaders.SOURCE)).hasValue("digits/test#42");
        assertThat(registry.get("osprey.ingest.images.published").counter().count()).isEqualTo(50);
    }

    @Test
    void loopsWithFreshIdsUpToTheCount() {
        MockProducer<String, byte[]> producer = producer();
        publish(producer, IngestOptions.builder("x").count(120).loop(true).idPrefix("run7/").build());

        List<String> keys = producer.history().stream().map(ProducerRecord::key).toList();
        assertThat(keys).hasSize(120).doesNotHaveDuplicates();
        assertThat(keys).contains("run7/test-00000", "run7/test-00000-p1", "run7/test-00019-p2");
    }

    @Test
    void countWithoutLoopStopsAtTheEndOfTheSource() {
        MockProducer<String, byte[]> producer = producer();
        assertThat(publish(producer, IngestOptions.builder("x").count(500).build()).published()).isEqualTo(50);
    }

    @Test
    void shuffleIsAPermutationRepeatableBySeed() {
        MockProducer<String, byte[]> a = producer();
        MockProducer<String, byte[]> b = producer();
        MockProducer<String, byte[]> c = producer();
        publish(a, IngestOptions.builder("x").shuffle(true).seed(3).build());
        publish(b, IngestOptions.builder("x").shuffle(true).seed(3).build());
        publish(c, IngestOptions.builder("x").shuffle(true).seed(4).build());

        List<String> keysA = a.history().stream().map(ProducerRecord::key).toList();
        assertThat(keysA).isEqualTo(b.history().stream().map(ProducerRecord::key).toList())
                .isNotEqualTo(c.history().stream().map(ProducerRecord::key).toList())
                .doesNotHaveDuplicates().hasSize(50);
        assertThat(keysA).isNotEqualTo(keysA.stream().sorted().toList());
    }

    @Test
    void sendsASeededShareOfLabelledCopiesToFeedback() {
        Dataset big = TestDatasets.gray("digits/test", 2000, 1);
        MockProducer<String, byte[]> a = producer();
        MockProducer<String, byte[]> b = producer();
        IngestOptions options = IngestOptions.builder("x").feedback(0.25, Duration.ZERO).seed(11).build();
        IngestSummary summary = publish(a, options, big);
        publish(b, options, big);

        List<ProducerRecord<String, byte[]>> feedback = feedback(a);
        assertThat(summary.feedbackSent()).isEqualTo(feedback.size());
        // Binomial(2000, 0.25): mean 500, sd ~19.
        assertThat(feedback.size()).isBetween(420, 580);
        assertThat(keys(feedback)).isEqualTo(keys(feedback(b)));
        ProducerRecord<String, byte[]> copy = feedback.get(0);
        ProducerRecord<String, byte[]> original = a.history().stream()
                .filter(r -> r.topic().equals("t-images") && r.key().equals(copy.key())).findFirst().orElseThrow();
        assertThat(copy.value()).isEqualTo(original.value());
        assertThat(copy.headers().toArray()).isEqualTo(original.headers().toArray());
        assertThat(registry.get("osprey.ingest.feedback.sent").counter().count()).isEqualTo(2 * feedback.size());
    }

    @Test
    void heldOutImagesAreNeverFeedbackOnAnyPassAndTheShareOfAllImagesStays() {
        Dataset big = TestDatasets.gray("digits/test", 1000, 1);
        HeldOutImages heldOut = new HeldOutImages(0.5);
        MockProducer<String, byte[]> producer = producer();
        IngestSummary summary = publish(producer, IngestOptions.builder("x").feedback(0.2, Duration.ZERO)
                .heldOut(heldOut).count(3000).loop(true).idPrefix("demo-1-").seed(5).build(), big);

        List<ProducerRecord<String, byte[]>> images = producer.history().stream()
                .filter(r -> r.topic().equals("t-images")).toList();
        List<ProducerRecord<String, byte[]>> feedback = feedback(producer);
        long heldOutImages = images.stream().filter(r -> heldOut.containsId(r.key(), "demo-1-")).count();
        // Binomial(3000, 0.5) held out by id: the same half of the 1000 images on all three passes.
        assertThat(heldOutImages).isBetween(1300L, 1700L);
        assertThat(feedback).noneSatisfy(r -> assertThat(heldOut.containsId(r.key(), "demo-1-")).isTrue());
        // 0.2 of all images come back, drawn from the half that is not held out: Binomial(3000, 0.2).
        assertThat(summary.feedbackSent()).isEqualTo(feedback.size());
        assertThat(feedback.size()).isBetween(500, 700);
        assertThat(heldOut.containsId("demo-1-test-00007-p2", "demo-1-"))
                .isEqualTo(heldOut.contains("test-00007"));
        assertThat(heldOut.containsId("other-test-00007", "demo-1-")).isFalse();
    }

    @Test
    void aFeedbackShareLargerThanTheImagesNotHeldOutIsRefused() {
        assertThatThrownBy(() -> IngestOptions.builder("x")
                        .feedback(0.6, Duration.ZERO).heldOut(new HeldOutImages(0.5)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("held out");
    }

    @Test
    void unlabelledImagesAreNeverFeedback() {
        int[] none = new int[DATA.size()];
        Arrays.fill(none, -1);
        Dataset unlabelled = new Dataset("u", 28, 28, 1, DATA.pixels(), none, List.of());
        MockProducer<String, byte[]> producer = producer();
        IngestSummary summary = publish(producer, IngestOptions.builder("x").feedback(1, Duration.ZERO).build(),
                unlabelled);
        assertThat(summary.feedbackSent()).isZero();
        assertThat(ImageHeaders.text(producer.history().get(0).headers(), ImageHeaders.LABEL)).isEmpty();
    }

    @Test
    void countsErrorsFromKafkaWithoutStopping() {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer()) {
            private int sends;

            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
                if (sends++ == 1) {
                    KafkaException refused = new KafkaException("broker says no");
                    callback.onCompletion(null, refused);
                    return CompletableFuture.failedFuture(refused);
                }
                return super.send(record, callback);
            }
        };
        IngestSummary summary = publish(producer, IngestOptions.builder("x").count(3).build());
        assertThat(summary.published()).isEqualTo(2);
        assertThat(summary.errors()).isEqualTo(1);
        assertThat(registry.get("osprey.ingest.send.errors").counter().count()).isEqualTo(1);
    }

    @Test
    void stopEndsARunWithoutEnd() {
        MockProducer<String, byte[]> producer = producer();
        ImagePublisher publisher = new ImagePublisher(producer, TOPICS,
                IngestOptions.builder("x").loop(true).rate(2000).build(), registry, ProgressDisplay.none());
        Thread stopper = new Thread(() -> {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> producer.history().size() >= 10);
            publisher.stop();
        });
        stopper.start();
        IngestSummary summary = publisher.publish(new DatasetSource(DATA, Split.TEST, false));
        assertThat(summary.published()).isGreaterThanOrEqualTo(10);
    }

    private IngestSummary publish(MockProducer<String, byte[]> producer, IngestOptions options) {
        return publish(producer, options, DATA);
    }

    private IngestSummary publish(MockProducer<String, byte[]> producer, IngestOptions options, Dataset data) {
        return new ImagePublisher(producer, TOPICS, options, registry, ProgressDisplay.none())
                .publish(new DatasetSource(data, Split.TEST, false));
    }

    private static MockProducer<String, byte[]> producer() {
        return new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    private static List<ProducerRecord<String, byte[]>> feedback(MockProducer<String, byte[]> producer) {
        return producer.history().stream().filter(r -> r.topic().equals("t-feedback")).toList();
    }

    private static Set<String> keys(List<ProducerRecord<String, byte[]>> records) {
        return records.stream().map(ProducerRecord::key).collect(Collectors.toSet());
    }
}
