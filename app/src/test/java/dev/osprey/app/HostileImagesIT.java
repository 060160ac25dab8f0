package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.osprey.broker.EmbeddedBroker;
import dev.osprey.classifier.FuzzRecords;
import dev.osprey.classifier.FuzzRecords.Fuzz;
import dev.osprey.classifier.FuzzRecords.Kind;
import dev.osprey.classifier.deadletter.DeadLetterHeaders;
import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.dataset.IdxDirectoryReader;
import dev.osprey.core.dataset.Split;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.model.Architecture;
import dev.osprey.core.testing.TestModels;
import dev.osprey.core.topic.OspreyTopics;
import dev.osprey.core.topic.TopicAdmin;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's proof that nothing takes the classifier down: a classifier process with a 1 GiB heap
 * (the packaged jar, as {@link ClassifierProcesses} starts it) is fed, between real Fashion-MNIST
 * images, 300 solid-colour 4096×4096 PNGs, one 20 MiB value (a PNG declaring 60000×60000 pixels,
 * padded with zeros, so the producer's lz4 shrinks it below the topic's limit) and one record of
 * every fuzz kind. It keeps running, {@code /healthz} stays 200, and every record ends up exactly
 * once on {@code predictions} (by id) or {@code images-dlq} (by source partition and offset).
 */
class HostileImagesIT {

    private static final int REAL = 1_500;
    private static final int HUGE_PNGS = 300;
    private static final int BOMB_BYTES = 20 * 1024 * 1024;
    private static final long SEED = 10L;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void hostileImagesBetweenRealOnesNeitherStopTheClassifierNorLoseOrRepeatAnId() throws Exception {
        Path fashion = DatasetLocator.DEBIAN_FASHION_MNIST;
        assumeThat(Files.exists(fashion.resolve("t10k-images-idx3-ubyte.gz")))
                .as("Fashion-MNIST is not installed at %s (Debian package dataset-fashion-mnist)", fashion).isTrue();
        Dataset images = IdxDirectoryReader.read(fashion, Split.TEST);
        List<Fuzz> records = records(images);

        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), 0)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrapServers(), "hostile-");
            OspreyTopics topics = settings.topics();
            TopicAdmin.ensureTopics(settings);
            Map<String, Fuzz> byPosition = new HashMap<>();
            Map<String, String> idByPosition = new HashMap<>();
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                    new StringSerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(topics.models(), "fashion",
                        TestModels.untrained(Architecture.MLP, "fashion", 1).toBytes())).get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(settings.producerProperties(),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (Fuzz f : records) {
                    sent.add(p.send(new ProducerRecord<>(topics.images(), null, f.key(), f.value(), f.headers())));
                }
                for (int i = 0; i < records.size(); i++) {
                    RecordMetadata m = sent.get(i).get(60, TimeUnit.SECONDS);
                    String position = m.partition() + "@" + m.offset();
                    Fuzz f = records.get(i);
                    byPosition.put(position, f);
                    idByPosition.put(position, f.key() == null ? topics.images() + "-" + position
                            : new String(f.key(), StandardCharsets.UTF_8));
                }
            }

            int port = freePort();
            try (ClassifierProcesses processes = new ClassifierProcesses(settings)) {
                Process classifier = processes.start("hostile-it-classifier", dir.resolve("state"),
                        "--metrics-port", Integer.toString(port));
                try {
                    List<ConsumerRecord<String, byte[]>> out = processes.readRecordsUntil(records.size(),
                            Duration.ofMinutes(4));
                    assertThat(classifier.isAlive()).as("the classifier process is still running").isTrue();
                    assertThat(healthz(port)).as("/healthz after the hostile records").isEqualTo(200);

                    Map<String, Long> predicted = out.stream().filter(r -> r.topic().equals(topics.predictions()))
                            .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
                    Map<String, Long> dead = out.stream().filter(r -> r.topic().equals(topics.deadLetters()))
                            .collect(Collectors.groupingBy(r -> header(r, DeadLetterHeaders.SOURCE_PARTITION) + "@"
                                    + header(r, DeadLetterHeaders.SOURCE_OFFSET), Collectors.counting()));
                    for (Map.Entry<String, Fuzz> e : byPosition.entrySet()) {
                        long answered = predicted.getOrDefault(idByPosition.get(e.getKey()), 0L)
                                + dead.getOrDefault(e.getKey(), 0L);
                        assertThat(answered).as("outputs of %s (%s)", e.getKey(), e.getValue().kind()).isEqualTo(1);
                        if (e.getValue().kind().valid) {
                            assertThat(predicted).as("%s (%s) is a real image", e.getKey(), e.getValue().kind())
                                    .containsKey(idByPosition.get(e.getKey()));
                        }
                    }
                    assertThat(out).as("outputs in all").hasSize(records.size());
                } finally {
                    classifier.destroy();
                    classifier.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Real raw images with the hostile ones spread evenly between them. */
    private static List<Fuzz> records(Dataset images) throws IOException {
        FuzzRecords fuzz = new FuzzRecords(SEED, images);
        List<Fuzz> hostile = new ArrayList<>();
        List<byte[]> solid = List.of(solidPng(Color.WHITE), solidPng(Color.BLACK), solidPng(new Color(200, 30, 90)));
        for (int i = 0; i < HUGE_PNGS; i++) {
            RecordHeaders h = new RecordHeaders();
            ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, ImageHeaders.PNG);
            hostile.add(new Fuzz(Kind.HUGE_DECLARED, key("solid-4096-" + i), solid.get(i % solid.size()), h));
        }
        hostile.add(new Fuzz(Kind.ABOVE_LIMIT, key("bomb-20mib"), bomb(), new RecordHeaders()));
        int n = 0;
        for (Kind kind : Kind.values()) {
            hostile.add(fuzz.one(kind, n++));
        }
        List<Fuzz> out = new ArrayList<>(REAL + hostile.size());
        int every = Math.max(1, REAL / hostile.size());
        int h = 0;
        for (int i = 0; i < REAL; i++) {
            RecordHeaders headers = new RecordHeaders();
            ImageHeaders.put(headers, ImageHeaders.LABEL, Integer.toString(images.label(i)));
            out.add(new Fuzz(Kind.REAL_RAW, key("real-" + i), images.image(i).pixels().clone(), headers));
            if (i % every == 0 && h < hostile.size()) {
                out.add(hostile.get(h++));
            }
        }
        out.addAll(hostile.subList(h, hostile.size()));
        return out;
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** A 4096×4096 PNG of one colour: about 50 KB compressed, 48 MiB of pixels decoded in full. */
    private static byte[] solidPng(Color colour) throws IOException {
        BufferedImage image = new BufferedImage(4096, 4096, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, 4096, 4096);
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    /** A PNG signature and a well-formed IHDR declaring 60000×60000 RGBA, then zeros up to 20 MiB. */
    private static byte[] bomb() {
        ByteBuffer b = ByteBuffer.allocate(BOMB_BYTES);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        b.putInt(13);
        int start = b.position();
        b.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(60_000).putInt(60_000)
                .put((byte) 8).put((byte) 6).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(b.array(), start, b.position() - start);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int healthz(int port) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String header(ConsumerRecord<String, byte[]> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
