package dev.osprey.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.classifier.deadletter.DeadLetterRecord;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.format.Prediction;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.image.RejectReason;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad record, mixed with good ones, through the real classifier on a real broker:
 * each bad one becomes exactly one dead letter with its original bytes and a reason, each good one
 * (colour for a gray model, another size) exactly one prediction.
 */
class DeadLetterIT {

    @TempDir
    Path dir;

    private record Input(byte[] value, Headers headers, String expected) {
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void eachBadRecordIsADeadLetterWithItsReasonAndTheRestAreClassified() throws Exception {
        Map<String, Input> inputs = inputs();
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "dlq-");
            OspreyTopics topics = settings.topics();
            TopicAdmin.ensureTopics(broker.bootstrapServers(), topics);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producerProperties(),
                    new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topics.models(), "digits",
                        TestModels.untrained(Architecture.MLP, "digits", 1).toBytes())).get(30, TimeUnit.SECONDS);
                for (Map.Entry<String, Input> e : inputs.entrySet()) {
                    producer.send(new ProducerRecord<>(topics.images(), null, e.getKey(), e.getValue().value(),
                            e.getValue().headers())).get(30, TimeUnit.SECONDS);
                }
            }
            ClassifierConfig config = ClassifierConfig.defaults(broker.bootstrapServers(), topics)
                    .withStateDir(dir.resolve("streams"));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (ClassifierApp app = new ClassifierApp(config, registry)) {
                app.start(Duration.ofSeconds(60));
                List<ConsumerRecord<String, byte[]>> out = OutputReader.readUntil(settings, inputs.size(),
                        Duration.ofMinutes(2));
                Map<String, List<ConsumerRecord<String, byte[]>>> byId = out.stream()
                        .collect(Collectors.groupingBy(ConsumerRecord::key));
                assertThat(byId.keySet()).containsExactlyInAnyOrderElementsOf(inputs.keySet());
                for (Map.Entry<String, Input> e : inputs.entrySet()) {
                    List<ConsumerRecord<String, byte[]>> records = byId.get(e.getKey());
                    assertThat(records).as("outputs for %s", e.getKey()).hasSize(1);
                    ConsumerRecord<String, byte[]> r = records.get(0);
                    String expected = e.getValue().expected();
                    if (expected.equals("prediction")) {
                        assertThat(r.topic()).as("%s", e.getKey()).isEqualTo(topics.predictions());
                        Prediction p = Prediction.serde().fromBytes(r.value());
                        assertThat(p.version()).isEqualTo(1);
                    } else {
                        assertThat(r.topic()).as("%s", e.getKey()).isEqualTo(topics.deadLetters());
                        assertThat(header(r, DeadLetterHeaders.ERROR)).as("error of %s", e.getKey()).isEqualTo(expected);
                        assertThat(header(r, DeadLetterHeaders.REASON)).isNotBlank();
                        assertThat(header(r, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(topics.images());
                        assertThat(header(r, DeadLetterHeaders.SOURCE_PARTITION)).matches("\\d+");
                        assertThat(header(r, DeadLetterHeaders.SOURCE_OFFSET)).matches("\\d+");
                        byte[] original = e.getValue().value();
                        if (original.length > DeadLetterRecord.MAX_VALUE_BYTES) {
                            // Cut to fit images-dlq, and says so.
                            assertThat(r.value()).isEqualTo(Arrays.copyOf(original, DeadLetterRecord.MAX_VALUE_BYTES));
                            assertThat(header(r, DeadLetterHeaders.TRUNCATED)).isEqualTo("value");
                            assertThat(header(r, DeadLetterHeaders.ORIGINAL_SIZE))
                                    .isEqualTo(Integer.toString(original.length));
                        } else {
                            assertThat(r.value()).as("original bytes of %s", e.getKey()).isEqualTo(original);
                        }
                    }
                }
                assertThat(registry.get("osprey.classifier.dead.letters").counters().stream()
                        .mapToDouble(c -> c.count()).sum()).isEqualTo(inputs.values().stream()
                        .filter(i -> !i.expected().equals("prediction")).count());
            }
        }
    }

    private static Map<String, Input> inputs() {
        Random random = new Random(5);
        RawImage gray = image(28, 28, 1, random);
        byte[] png = ImageEncoder.png(gray);
        byte[] jpeg = ImageEncoder.jpeg(image(28, 28, 3, random));
        Map<String, Input> in = new LinkedHashMap<>();
        in.put("raw-gray", new Input(gray.pixels(), raw(gray), "prediction"));
        in.put("png-gray", new Input(png, typed(ImageHeaders.PNG), "prediction"));
        in.put("png-colour", new Input(ImageEncoder.png(image(28, 28, 3, random)), typed(ImageHeaders.PNG),
                "prediction"));
        in.put("jpeg-colour-untyped", new Input(jpeg, new RecordHeaders(), "prediction"));
        in.put("bmp-larger", new Input(ImageEncoder.bmp(image(56, 56, 1, random)), typed(ImageHeaders.BMP),
                "prediction"));
        RawImage cifar = image(32, 32, 3, random);
        in.put("raw-colour-32", new Input(cifar.pixels(), raw(cifar), "prediction"));
        in.put("empty", new Input(new byte[0], new RecordHeaders(), RejectReason.EMPTY.id()));
        in.put("text", new Input("this is not an image".getBytes(StandardCharsets.UTF_8), new RecordHeaders(),
                RejectReason.NOT_AN_IMAGE.id()));
        in.put("truncated-png", new Input(Arrays.copyOf(png, png.length / 2), typed(ImageHeaders.PNG),
                RejectReason.CORRUPT_IMAGE.id()));
        in.put("truncated-jpeg", new Input(Arrays.copyOf(jpeg, jpeg.length / 2), typed(ImageHeaders.JPEG),
                RejectReason.CORRUPT_IMAGE.id()));
        in.put("too-wide", new Input(ImageEncoder.png(image(280, 10, 1, random)), typed(ImageHeaders.PNG),
                RejectReason.BAD_DIMENSIONS.id()));
        in.put("oversized", new Input(new byte[OspreyTopics.IMAGE_MAX_BYTES + 1000], new RecordHeaders(),
                RejectReason.TOO_LARGE.id()));
        RecordHeaders badHeaders = raw(gray);
        ImageHeaders.put(badHeaders, ImageHeaders.WIDTH, "wide");
        in.put("bad-headers", new Input(gray.pixels(), badHeaders, RejectReason.BAD_HEADERS.id()));
        RecordHeaders wrongSize = raw(gray);
        ImageHeaders.put(wrongSize, ImageHeaders.WIDTH, "30");
        in.put("headers-disagree", new Input(gray.pixels(), wrongSize, RejectReason.BAD_DIMENSIONS.id()));
        return in;
    }

    private static RawImage image(int w, int h, int c, Random random) {
        byte[] px = new byte[w * h * c];
        random.nextBytes(px);
        return new RawImage(w, h, c, px);
    }

    private static RecordHeaders raw(RawImage img) {
        RecordHeaders h = new RecordHeaders();
        ImageHeaders.describeRaw(h, img);
        return h;
    }

    private static RecordHeaders typed(String contentType) {
        RecordHeaders h = new RecordHeaders();
        ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, contentType);
        return h;
    }

    private static String header(ConsumerRecord<String, byte[]> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
