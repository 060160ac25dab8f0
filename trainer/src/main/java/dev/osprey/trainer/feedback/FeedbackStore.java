package dev.osprey.trainer.feedback;

import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.ImageTransforms;
import dev.osprey.core.image.InputSpec;
import dev.osprey.core.image.RawImage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The trainer's bounded memory of feedback: at most {@code capacity} examples, each kept at the
 * model's input resolution ({@link #fit}), so its heap is bounded by about {@code capacity} x
 * ({@link InputSpec#size()} bytes + a few hundred bytes of bookkeeping), whatever size the images
 * arrived at.
 *
 * <p><b>Policy: newest per class.</b> When a new example would make the store exceed its capacity,
 * the oldest example of the class that holds the most examples is evicted. A class therefore keeps
 * its newest examples, never fewer than {@code capacity / classes} of them once it has had that many,
 * and a class with fewer leaves its room to the others. Chosen over a reservoir sample because
 * feedback is mostly corrections of what the serving model gets wrong now: a reservoir keeps a
 * uniform sample of all time, so after a drift it keeps training on examples that no longer describe
 * the traffic, and one busy labeller working through one class would fill it with that class.
 * Newest-per-class is deterministic, too, which makes a run reproducible from the feedback topic.
 *
 * <p>Every operation is O(1) in the number of examples: each class is an insertion-ordered map
 * (its eldest entry is the one to evict), and finding the largest class scans at most
 * {@code classes} counters (a model has at most a few hundred classes). A newer label for an id
 * already stored replaces it and is not an eviction.
 *
 * <p>The durable copy is the changelogged Kafka Streams store ({@link ExampleRecorder}): each example
 * remembers the store partition it came from, and an evicted example's id waits in that partition's
 * queue until its recorder deletes it there ({@link #takeEvicted}), so the changelog is bounded too.
 *
 * <p>Thread-safe: the stream thread writes, a retraining run takes a {@link #all snapshot}.
 */
public final class FeedbackStore implements ExampleSource {

    /** The default capacity: 100,000 examples, about 100 MB of heap at 28x28 grey. */
    public static final int DEFAULT_CAPACITY = 100_000;
    /** The largest capacity accepted. */
    public static final int MAX_CAPACITY = 50_000_000;

    private final int capacity;
    private final InputSpec input;
    private final List<LinkedHashMap<String, Slot>> classes;
    private final Map<String, Slot> byId = new HashMap<>();
    private final Map<Integer, ArrayDeque<String>> evictedByPartition = new HashMap<>();
    private long evictions;
    private long sequence;

    /** An example, the partition of the durable store that holds it (-1: none), and its arrival number. */
    private record Slot(StoredExample example, int partition, long seq) {
    }

    /**
     * @param capacity   the most examples kept, 1 to {@link #MAX_CAPACITY}
     * @param input      the model's input: every example is kept at this size and colour
     * @param classCount the number of classes; examples of a label at or above it are refused
     */
    public FeedbackStore(int capacity, InputSpec input, int classCount) {
        Objects.requireNonNull(input, "input");
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("--max-feedback must be between 1 and " + MAX_CAPACITY + ": "
                    + capacity);
        }
        if (classCount < 1) {
            throw new IllegalArgumentException("class count must be positive: " + classCount);
        }
        this.capacity = capacity;
        this.input = input;
        this.classes = new ArrayList<>(classCount);
        for (int i = 0; i < classCount; i++) {
            classes.add(new LinkedHashMap<>());
        }
    }

    /**
     * {@code image} at the size and colour of {@code input}, converted as the classifier converts
     * what it feeds the model (resized first, then to the model's channels).
     *
     * @throws ImageRejectedException when it cannot be resized sensibly
     */
    public static RawImage fit(RawImage image, InputSpec input) throws ImageRejectedException {
        RawImage out = image;
        if (out.width() != input.width() || out.height() != input.height()) {
            ImageTransforms.checkResizable(out.width(), out.height(), input.width(), input.height());
            out = ImageTransforms.resize(out, input.width(), input.height());
        }
        if (out.channels() != input.channels()) {
            out = ImageTransforms.withChannels(out, input.channels());
        }
        return out;
    }

    /**
     * {@code example} as this store keeps it: its image at the model's input resolution.
     *
     * @throws ImageRejectedException when the image cannot be resized sensibly
     * @throws IllegalArgumentException when its label is not one of the model's classes
     */
    public LabelledExample atInputResolution(LabelledExample example) throws ImageRejectedException {
        if (example.label() >= classes.size()) {
            throw new IllegalArgumentException("label " + example.label() + " is not one of the model's "
                    + classes.size() + " classes");
        }
        RawImage image = fit(example.image(), input);
        return image == example.image() ? example
                : new LabelledExample(example.label(), example.kind(), example.timestamp(), image);
    }

    /**
     * Keeps {@code example} (already {@link #atInputResolution at input resolution}) under {@code id},
     * replacing what the id had, and evicts by the policy if the store is then over capacity.
     *
     * @param partition the durable store's partition that holds it, or -1 if none does
     * @throws IllegalArgumentException when the example is not at the input resolution or its label
     *                                  is not one of the model's classes
     */
    public synchronized void put(String id, LabelledExample example, int partition) {
        RawImage img = example.image();
        if (img.width() != input.width() || img.height() != input.height() || img.channels() != input.channels()) {
            throw new IllegalArgumentException("example " + id + " is " + img.width() + "x" + img.height() + "x"
                    + img.channels() + ", the store keeps " + input + " (CxHxW)");
        }
        if (example.label() >= classes.size()) {
            throw new IllegalArgumentException("label " + example.label() + " is not one of the model's "
                    + classes.size() + " classes");
        }
        Slot old = byId.remove(id);
        if (old != null) {
            classes.get(old.example().example().label()).remove(id);
        }
        Slot slot = new Slot(new StoredExample(id, example), partition, sequence++);
        byId.put(id, slot);
        classes.get(example.label()).put(id, slot);
        if (byId.size() > capacity) {
            evictOne();
        }
    }

    /** Evicts the oldest example of the largest class (of equally large ones, the oldest example). */
    private void evictOne() {
        LinkedHashMap<String, Slot> largest = classes.get(0);
        for (LinkedHashMap<String, Slot> c : classes) {
            if (c.size() > largest.size() || c.size() == largest.size() && !c.isEmpty()
                    && eldest(c).seq() < eldest(largest).seq()) {
                largest = c;
            }
        }
        Iterator<Slot> eldest = largest.values().iterator();
        Slot victim = eldest.next();
        eldest.remove();
        byId.remove(victim.example().id());
        evictions++;
        if (victim.partition() >= 0) {
            evictedByPartition.computeIfAbsent(victim.partition(), p -> new ArrayDeque<>())
                    .add(victim.example().id());
        }
    }

    private static Slot eldest(LinkedHashMap<String, Slot> c) {
        return c.values().iterator().next();
    }

    /**
     * The ids evicted since the last call whose durable copy lies in {@code partition}; the caller
     * deletes them there. Each id is handed out once; one that has come back since is not.
     */
    public synchronized List<String> takeEvicted(int partition) {
        ArrayDeque<String> ids = evictedByPartition.remove(partition);
        if (ids == null) {
            return List.of();
        }
        ids.removeIf(byId::containsKey);
        return List.copyOf(ids);
    }

    /**
     * Forgets the examples of {@code partition}, whose task left this instance (its recorder closed):
     * the instance that takes the partition over loads them from the durable store. Not evictions.
     */
    public synchronized void dropPartition(int partition) {
        evictedByPartition.remove(partition);
        byId.values().removeIf(slot -> {
            if (slot.partition() != partition) {
                return false;
            }
            classes.get(slot.example().example().label()).remove(slot.example().id());
            return true;
        });
    }

    /**
     * A snapshot of every kept example, class by class, oldest first within a class. The list is new
     * but the examples are the store's own, immutable ones: a run reads them without copying a pixel.
     */
    @Override
    public synchronized List<StoredExample> all() {
        List<StoredExample> out = new ArrayList<>(byId.size());
        for (LinkedHashMap<String, Slot> c : classes) {
            for (Slot slot : c.values()) {
                out.add(slot.example());
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Examples kept now. */
    public synchronized int size() {
        return byId.size();
    }

    /** Examples of class {@code label} kept now. */
    public synchronized int size(int label) {
        return classes.get(label).size();
    }

    /** Examples evicted since start. */
    public synchronized long evictions() {
        return evictions;
    }

    /** The most examples kept. */
    public int capacity() {
        return capacity;
    }

    /** The size and colour every example is kept at. */
    public InputSpec input() {
        return input;
    }

    /** The pixel bytes of a full store: the bound on its memory, less per-example bookkeeping. */
    public long maxPixelBytes() {
        return (long) capacity * input.size();
    }

    @Override
    public String toString() {
        return "FeedbackStore[" + size() + "/" + capacity + " at " + input + ", " + evictions() + " evicted]";
    }
}
