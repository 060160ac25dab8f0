package dev.osprey.classifier;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.ImageEncoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.topic.OspreyTopics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A seeded generator of malformed {@code images} records mixed with real images, for the fuzz
 * tests: the same seed gives the same records, so a failure is replayed with
 * {@code -Dosprey.fuzz.seed=N}.
 */
public final class FuzzRecords {

    /** System property that overrides the seed. */
    static final String SEED_PROPERTY = "osprey.fuzz.seed";

    /** What a record is; {@code valid} ones must be classified, the others may be either. */
    public enum Kind {
        REAL_RAW(true), REAL_PNG(true), REAL_JPEG(true), REAL_BMP(true), NULL_KEY(true),
        TRUNCATED_PNG(false), CORRUPT_PNG(false), TRUNCATED_JPEG(false), CORRUPT_JPEG(false),
        TRUNCATED_BMP(false), CORRUPT_BMP(false), WRONG_MAGIC(false), HUGE_DECLARED(false), ZERO_DECLARED(false),
        HEADER_NOT_NUMERIC(false), HEADER_NEGATIVE(false), HEADER_OVERFLOW(false), RAW_SIZE_MISMATCH(false),
        EMPTY(false), TOMBSTONE(false), NON_UTF8_KEY(false), NON_UTF8_HEADERS(false), HUGE_KEY(false),
        GARBAGE_LABEL(false), RANDOM_BYTES(false), NEAR_LIMIT(false), ABOVE_LIMIT(false);

        /** Whether a record of this kind is a real image that must be classified. */
        public final boolean valid;

        Kind(boolean valid) {
            this.valid = valid;
        }
    }

    /** One generated record; {@code key} is raw bytes so that it can be invalid UTF-8. */
    public record Fuzz(Kind kind, byte[] key, byte[] value, RecordHeaders headers) {
    }

    private static final Kind[] COMMON = Arrays.stream(Kind.values())
            .filter(k -> k != Kind.NEAR_LIMIT && k != Kind.ABOVE_LIMIT).toArray(Kind[]::new);

    private final Random random;
    private final Dataset images;
    private final byte[] png;
    private final byte[] jpeg;
    private final byte[] bmp;

    /** A generator drawing its real images from {@code images}, seeded with {@code seed}. */
    public FuzzRecords(long seed, Dataset images) {
        this.random = new Random(seed);
        this.images = images;
        RawImage sample = images.image(0);
        this.png = ImageEncoder.png(sample);
        this.jpeg = ImageEncoder.jpeg(sample);
        this.bmp = ImageEncoder.bmp(sample);
    }

    /** The seed from {@value #SEED_PROPERTY}, or {@code fallback}. */
    static long seed(long fallback) {
        String s = System.getProperty(SEED_PROPERTY);
        return s == null || s.isBlank() ? fallback : Long.parseLong(s.trim());
    }

    /**
     * {@code count} records: about half real images, the rest spread over the malformed kinds, plus
     * {@code limitRecords} values at and above the 8 MiB limit (few: each weighs 8 MiB).
     */
    List<Fuzz> generate(int count, int limitRecords) {
        List<Fuzz> out = new ArrayList<>(count + limitRecords);
        for (int i = 0; i < count; i++) {
            Kind kind = random.nextBoolean() ? Kind.REAL_RAW : COMMON[random.nextInt(COMMON.length)];
            out.add(make(kind, i));
        }
        for (int i = 0; i < limitRecords; i++) {
            Kind kind = i % 2 == 0 ? Kind.NEAR_LIMIT : Kind.ABOVE_LIMIT;
            out.add(random.nextInt(out.size() + 1), make(kind, count + i));
        }
        return out;
    }

    /** One record of {@code kind}, its key (where it has one) made from {@code n}. */
    public Fuzz one(Kind kind, int n) {
        return make(kind, n);
    }

    private Fuzz make(Kind kind, int n) {
        byte[] key = ("fuzz-" + n + "-" + kind.name().toLowerCase(Locale.ROOT))
                .getBytes(StandardCharsets.UTF_8);
        RecordHeaders h = new RecordHeaders();
        int index = random.nextInt(images.size());
        RawImage real = images.image(index);
        if (random.nextInt(4) == 0) {
            ImageHeaders.put(h, ImageHeaders.LABEL, Integer.toString(images.label(index)));
        }
        return switch (kind) {
            case REAL_RAW -> new Fuzz(kind, key, real.pixels().clone(), h);
            case REAL_PNG -> new Fuzz(kind, key, ImageEncoder.png(real), typed(h, ImageHeaders.PNG));
            case REAL_JPEG -> new Fuzz(kind, key, ImageEncoder.jpeg(real), h);
            case REAL_BMP -> new Fuzz(kind, key, ImageEncoder.bmp(real), typed(h, ImageHeaders.BMP));
            case NULL_KEY -> new Fuzz(kind, null, real.pixels().clone(), h);
            case TRUNCATED_PNG -> new Fuzz(kind, key, cut(png), maybeTyped(h, ImageHeaders.PNG));
            case CORRUPT_PNG -> new Fuzz(kind, key, flip(png, 8), maybeTyped(h, ImageHeaders.PNG));
            case TRUNCATED_JPEG -> new Fuzz(kind, key, cut(jpeg), maybeTyped(h, ImageHeaders.JPEG));
            case CORRUPT_JPEG -> new Fuzz(kind, key, flip(jpeg, 3), maybeTyped(h, ImageHeaders.JPEG));
            case TRUNCATED_BMP -> new Fuzz(kind, key, cut(bmp), maybeTyped(h, ImageHeaders.BMP));
            case CORRUPT_BMP -> new Fuzz(kind, key, flip(bmp, 2), maybeTyped(h, ImageHeaders.BMP));
            case WRONG_MAGIC -> new Fuzz(kind, key, wrongMagic(), typed(h, pick(ImageHeaders.PNG, ImageHeaders.JPEG,
                    ImageHeaders.BMP)));
            case HUGE_DECLARED -> new Fuzz(kind, key, declared(pick(5000, 65535, 100_000, Integer.MAX_VALUE),
                    pick(5000, 4096, 1, Integer.MAX_VALUE)), maybeTyped(h, ImageHeaders.PNG));
            case ZERO_DECLARED -> new Fuzz(kind, key, declared(0, pick(0, 28)), maybeTyped(h, ImageHeaders.PNG));
            case HEADER_NOT_NUMERIC -> new Fuzz(kind, key, real.pixels().clone(),
                    raw(h, pick("28", "wide", "2 8", "0x1c", ""), "28", pick("1", "one")));
            case HEADER_NEGATIVE -> new Fuzz(kind, key, real.pixels().clone(), raw(h, "-28", "28", "1"));
            case HEADER_OVERFLOW -> new Fuzz(kind, key, real.pixels().clone(),
                    raw(h, pick("99999999999", "2147483648", "4294967324"), "28", "1"));
            case RAW_SIZE_MISMATCH -> new Fuzz(kind, key, Arrays.copyOf(real.pixels(), 784 + pick(-1, 1, 100, -700)),
                    raw(h, "28", "28", pick("1", "3")));
            case EMPTY -> new Fuzz(kind, key, new byte[0], h);
            case TOMBSTONE -> new Fuzz(kind, key, null, h);
            case NON_UTF8_KEY -> new Fuzz(kind, concat(key, new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}),
                    real.pixels().clone(), h);
            case NON_UTF8_HEADERS -> new Fuzz(kind, key, real.pixels().clone(), nonUtf8(h));
            case HUGE_KEY -> new Fuzz(kind, concat(key, bytes(OspreyTopics.IMAGE_ID_MAX_BYTES + random.nextInt(
                    100_000), 'k')), real.pixels().clone(), h);
            case GARBAGE_LABEL -> new Fuzz(kind, key, real.pixels().clone(), label(h));
            case RANDOM_BYTES -> new Fuzz(kind, key, randomBytes(random.nextInt(4000) + 1), h);
            case NEAR_LIMIT -> new Fuzz(kind, key, randomBytes(OspreyTopics.IMAGE_MAX_BYTES - random.nextInt(2)), h);
            case ABOVE_LIMIT -> new Fuzz(kind, key, randomBytes(OspreyTopics.IMAGE_MAX_BYTES + 1
                    + random.nextInt(60 * 1024)), h);
        };
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }

    private RecordHeaders typed(RecordHeaders h, String type) {
        ImageHeaders.put(h, ImageHeaders.CONTENT_TYPE, type);
        return h;
    }

    private RecordHeaders maybeTyped(RecordHeaders h, String type) {
        return random.nextBoolean() ? typed(h, type) : h;
    }

    private RecordHeaders raw(RecordHeaders h, String width, String height, String channels) {
        typed(h, ImageHeaders.RAW);
        // Shuffle which dimension carries the bad value.
        if (random.nextBoolean()) {
            String t = width;
            width = height;
            height = t;
        }
        ImageHeaders.put(h, ImageHeaders.WIDTH, width);
        ImageHeaders.put(h, ImageHeaders.HEIGHT, height);
        ImageHeaders.put(h, ImageHeaders.CHANNELS, channels);
        return h;
    }

    private RecordHeaders nonUtf8(RecordHeaders h) {
        byte[] bad = {(byte) 0xFF, (byte) 0xFE, (byte) 0xC0, (byte) 0x80};
        h.add(pick(ImageHeaders.CONTENT_TYPE, ImageHeaders.WIDTH, ImageHeaders.LABEL, ImageHeaders.SOURCE), bad);
        if (random.nextBoolean()) {
            h.add(ImageHeaders.SOURCE, null);
        }
        return h;
    }

    private RecordHeaders label(RecordHeaders h) {
        h.remove(ImageHeaders.LABEL);
        ImageHeaders.put(h, ImageHeaders.LABEL, pick("-1", "cat", "99999999999", "", "1e3", "7 "));
        return h;
    }

    private byte[] cut(byte[] full) {
        return Arrays.copyOf(full, 1 + random.nextInt(full.length - 1));
    }

    /** {@code flips} random bytes changed after the signature. */
    private byte[] flip(byte[] full, int signature) {
        byte[] b = full.clone();
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) {
            b[signature + random.nextInt(b.length - signature)] ^= (byte) (1 + random.nextInt(255));
        }
        return b;
    }

    private byte[] wrongMagic() {
        byte[] b = pick(png, jpeg, bmp).clone();
        b[0] ^= 0x5A;
        return b;
    }

    /** A valid PNG whose IHDR declares another size (its CRC no longer matches). */
    private byte[] declared(int width, int height) {
        byte[] b = png.clone();
        putInt(b, 16, width);
        putInt(b, 20, height);
        return b;
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] bytes(int n, char c) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
