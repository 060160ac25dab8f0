package dev.osprey.trainer;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.model.ModelArtifact;
import dev.osprey.core.model.ModelManifest;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.trainer.publish.ModelPublisher;
import dev.osprey.trainer.run.BaseData;
import dev.osprey.trainer.run.GateSettings;
import dev.osprey.trainer.run.RunSettings;
import dev.osprey.trainer.trigger.HttpSettings;
import dev.osprey.trainer.trigger.TriggerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the trainer's integration tests share: a tiny learnable dataset, an untrained v1 on the
 * topic, a quick trainer configuration, and a producer.
 */
final class TrainerFixture {

    static final String MODEL = "digits";

    private TrainerFixture() {
    }

    /**
     * {@code perClass} 28x28 gray images per class of {@link TestModels#DIGITS}: noise plus a bright
     * band whose row depends on the class, so an MLP learns it in one short epoch.
     */
    static Dataset images(String name, int perClass, long seed) {
        Random random = new Random(seed);
        int n = perClass * TestModels.DIGITS.size();
        byte[] pixels = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % TestModels.DIGITS.size();
            labels[i] = label;
            byte[] img = image(label, random);
            System.arraycopy(img, 0, pixels, i * 784, 784);
        }
        return new Dataset(name, 28, 28, 1, pixels, labels, TestModels.DIGITS);
    }

    static byte[] image(int label, Random random) {
        byte[] img = new byte[784];
        for (int p = 0; p < img.length; p++) {
            img[p] = (byte) random.nextInt(60);
        }
        for (int row = 2 * label + 4; row < 2 * label + 6; row++) {
            for (int col = 4; col < 24; col++) {
                img[row * 28 + col] = (byte) (200 + random.nextInt(56));
            }
        }
        return img;
    }

    static BaseData base() {
        return new BaseData(images("synthetic/train", 40, 1), images("synthetic/test", 10, 2));
    }

    /** Creates the topics under {@code prefix} and publishes an untrained v1 of {@link #MODEL}. */
    static KafkaSettings prepare(String bootstrap, String prefix) {
        KafkaSettings settings = KafkaSettings.of(bootstrap, prefix);
        TopicAdmin.ensureTopics(bootstrap, settings.topics());
        ModelArtifact v1 = TestModels.untrained(Architecture.MLP, MODEL, 0);
        try (ModelPublisher publisher = new ModelPublisher(settings, "test-seed-" + prefix)) {
            ModelManifest published = publisher.publish(v1, MODEL, 0);
            if (published.version() != 1) {
                throw new IllegalStateException("expected v1, got " + published.tag());
            }
        }
        return settings;
    }

    /** Short runs on the tiny data, every trigger off unless a test turns it on, no HTTP. */
    static TrainerConfig config(KafkaSettings settings, Path stateDir) {
        return TrainerConfig.defaults(settings.bootstrapServers(), settings.topics(), MODEL)
                .withTriggers(new TriggerSettings(0, 0, 20, Duration.ofMillis(200), Duration.ZERO))
                .withGate(GateSettings.defaults().withTestImages(60, 40))
                .withRun(RunSettings.defaults().withEpochs(2).withBaseImages(400)
                        .withMaxWallTime(Duration.ofSeconds(30)))
                .withHttp(HttpSettings.off())
                .withStateDir(stateDir);
    }

    static KafkaProducer<String, byte[]> producer(KafkaSettings settings) {
        return new KafkaProducer<>(settings.producerProperties(), new StringSerializer(), new ByteArraySerializer());
    }

    /** Headers of a raw 28x28 gray image, labelled when {@code label >= 0}. */
    static Headers rawHeaders(int label) {
        Headers h = new RecordHeaders();
        ImageHeaders.describeRaw(h, new RawImage(28, 28, 1, new byte[784]));
        if (label >= 0) {
            ImageHeaders.put(h, ImageHeaders.LABEL, Integer.toString(label));
        }
        return h;
    }

    static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value, Headers headers)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, null, key, value, headers)).get(30, TimeUnit.SECONDS);
    }
}
