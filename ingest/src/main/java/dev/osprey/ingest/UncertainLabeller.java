package dev.osprey.ingest;

import dev.osprey.core.topic.TopicReader;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.ObjIntConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated labeller of the {@link FeedbackStrategy#UNCERTAIN uncertain} feedback strategy:
 * it answers the classifier's {@code label-requests} instead of labelling images at random.
 *
 * <p>The publisher tells it of every image it publishes; it remembers the ids of the last
 * {@link #REMEMBERED_IDS} that may be fed back (labelled, not held out) with their index in the
 * source. A request is answered when its id is remembered and the budget allows: at most
 * {@code share} times the images published so far have been answered. Each id is answered at most
 * once (it is forgotten when answered); every other request is skipped and counted, as unknown
 * (not published by this run, forgotten, or already answered) or as beyond the budget.
 *
 * <p>{@link #start} reads the requests on a thread of its own from a reader positioned by the
 * caller (at the end of {@code label-requests}, so old runs' requests are not answered); the
 * labeller owns that reader from then on and closes it in {@link #finish}.
 */
public final class UncertainLabeller {

    /**
     * Ids remembered at most: the oldest is forgotten first. At the classifier's default of 100
     * requests per second, a request comes within seconds of its image, so 200,000 images (under a
     * minute even at 5,000 images per second) is ample; as keys of ~20 characters with an Integer
     * each they take some 30 MB at most.
     */
    public static final int REMEMBERED_IDS = 200_000;
    /** After the last image, requests are still answered until none came for this long. */
    static final Duration LINGER_IDLE = Duration.ofSeconds(5);
    /** ... but no longer than this after the last image. */
    static final Duration LINGER_MAX = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(UncertainLabeller.class);

    /**
     * What became of the requests read.
     *
     * @param received       requests read from {@code label-requests}
     * @param answered       requests whose image went to {@code feedback}
     * @param skippedUnknown requests for an id this run did not publish, has forgotten or has answered
     * @param skippedBudget  requests for a known id that came when the budget was spent
     */
    public record Counts(long received, long answered, long skippedUnknown, long skippedBudget) {
        /** The counts of a run without label requests. */
        public static final Counts NONE = new Counts(0, 0, 0, 0);

        /** Requests not answered, for whatever reason. */
        public long skipped() {
            return skippedUnknown + skippedBudget;
        }
    }

    private final double share;
    private final int capacity;
    private final Map<String, Integer> recent;
    private long published;
    private long received;
    private long answered;
    private long skippedUnknown;
    private long skippedBudget;
    private long lastRequestNanos;

    private TopicReader reader;
    private Thread thread;
    private volatile boolean running;
    /** When the last image went out; 0 while images are still being published. */
    private long lingerFromNanos;

    /** A labeller that answers at most {@code share} (in (0, 1]) of the images published. */
    public UncertainLabeller(double share) {
        this(share, REMEMBERED_IDS);
    }

    UncertainLabeller(double share, int capacity) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("labelling share must be in (0, 1], not " + share);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, not " + capacity);
        }
        this.share = share;
        this.capacity = capacity;
        this.recent = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > UncertainLabeller.this.capacity;
            }
        };
    }

    /**
     * Counts one published image; remembers its id with its source index when it may be fed back.
     * Called by the publishing thread.
     */
    public synchronized void published(String id, int index, boolean answerable) {
        published++;
        if (answerable) {
            recent.put(id, index);
        }
    }

    /**
     * Decides one request: the source index of the image to send to {@code feedback}, or empty when
     * the request is skipped. An answered id is forgotten, so it is never answered twice.
     */
    public synchronized OptionalInt request(String id) {
        received++;
        lastRequestNanos = System.nanoTime();
        Integer index = id == null ? null : recent.get(id);
        if (index == null) {
            skippedUnknown++;
            return OptionalInt.empty();
        }
        if (answered + 1 > Math.floor(share * published)) {
            skippedBudget++;
            return OptionalInt.empty();
        }
        recent.remove(id);
        answered++;
        return OptionalInt.of(index);
    }

    /** True when every image published so far has had its share of answers. */
    public synchronized boolean budgetSpent() {
        return answered + 1 > Math.floor(share * published);
    }

    public synchronized Counts counts() {
        return new Counts(received, answered, skippedUnknown, skippedBudget);
    }

    /** Ids remembered now (at most {@link #REMEMBERED_IDS}). */
    public synchronized int remembered() {
        return recent.size();
    }

    /**
     * Reads requests from {@code positionedReader} on a new thread and gives each answered one to
     * {@code answer} (image id, source index) on that thread; takes ownership of the reader.
     */
    public synchronized void start(TopicReader positionedReader, ObjIntConsumer<String> answer) {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        reader = Objects.requireNonNull(positionedReader, "positionedReader");
        Objects.requireNonNull(answer, "answer");
        running = true;
        thread = new Thread(() -> read(positionedReader, answer), "osprey-ingest-labeller");
        thread.setDaemon(true);
        thread.start();
    }

    private void read(TopicReader r, ObjIntConsumer<String> answer) {
        try {
            while (running && !lingerOver()) {
                for (ConsumerRecord<String, byte[]> record : r.poll(POLL)) {
                    OptionalInt index = request(record.key());
                    if (index.isPresent()) {
                        answer.accept(record.key(), index.getAsInt());
                    }
                }
            }
        } catch (WakeupException e) {
            // finish(): stop reading
        } catch (KafkaException e) {
            LOG.error("Reading label requests failed; no more are answered: {}", e.toString());
        } finally {
            r.close();
        }
    }

    private synchronized boolean lingerOver() {
        if (lingerFromNanos == 0) {
            return false;
        }
        // The images are all out: go on while requests still come and budget is left.
        long now = System.nanoTime();
        return budgetSpent() || now - Math.max(lastRequestNanos, lingerFromNanos) > LINGER_IDLE.toNanos()
                || now - lingerFromNanos > LINGER_MAX.toNanos();
    }

    /**
     * Ends the reading: at once when {@code stopNow}, else after the last requests about this run's
     * images (none for {@link #LINGER_IDLE}, the budget spent, or {@link #LINGER_MAX}). Closes the
     * reader; keeps the interrupt flag.
     *
     * @return true when interrupted while waiting
     */
    public boolean finish(boolean stopNow) {
        Thread t;
        synchronized (this) {
            t = thread;
            lingerFromNanos = System.nanoTime();
        }
        if (t == null) {
            return false;
        }
        if (stopNow) {
            running = false;
            reader.wakeup();
        }
        try {
            t.join(LINGER_MAX.plusSeconds(10).toMillis());
            return false;
        } catch (InterruptedException e) {
            running = false;
            reader.wakeup();
            return true;
        } finally {
            if (t.isAlive()) {
                running = false;
                reader.wakeup();
            }
        }
    }
}
