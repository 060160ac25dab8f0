package dev.osprey.classifier.batch;

/**
 * How the classifier spreads its work over the cores: stream threads consume, decode, forward
 * and commit; inference workers run the forward passes and write the prediction JSON; each
 * stream task may have {@code maxInFlight} batches handed to the workers and not yet forwarded.
 *
 * <p>The rule for a machine with C cores ({@link #forCores}): {@code max(1, C/4)} stream threads,
 * {@code max(1, C/2)} inference workers, 2 batches in flight per task, 1 PyTorch intra-op thread
 * per forward pass. On 2 cores that is one stream thread feeding one worker: the Kafka work (and
 * a co-located broker) keeps the rest busy. More intra-op threads make one pass faster but stall
 * whenever an OpenMP worker is not scheduled; more workers scale without that stall.
 *
 * @param streamThreads    Kafka Streams threads
 * @param inferenceThreads forward-pass workers shared by all tasks; 0 runs each batch on its stream
 *                         thread (no pipelining)
 * @param maxInFlight      batches per task handed to a worker and not yet forwarded; when a task
 *                         has this many it waits for its oldest (back-pressure)
 * @param intraOpThreads   PyTorch intra-op threads per forward pass; 0 keeps PyTorch's default
 */
public record Parallelism(int streamThreads, int inferenceThreads, int maxInFlight, int intraOpThreads) {

    public Parallelism {
        check("stream threads", streamThreads, 1, 64);
        check("inference threads", inferenceThreads, 0, 64);
        check("in-flight batches", maxInFlight, 1, 64);
        check("intra-op threads", intraOpThreads, 0, 256);
    }

    /** The default for this machine ({@link Runtime#availableProcessors()}). */
    public static Parallelism forThisMachine() {
        return forCores(Runtime.getRuntime().availableProcessors());
    }

    /** The default rule for {@code cores} cores; see the class comment. */
    public static Parallelism forCores(int cores) {
        int c = Math.max(1, cores);
        return new Parallelism(Math.max(1, c / 4), Math.max(1, c / 2), 2, 1);
    }

    public boolean pipelined() {
        return inferenceThreads > 0;
    }

    public Parallelism withStreamThreads(int n) {
        return new Parallelism(n, inferenceThreads, maxInFlight, intraOpThreads);
    }

    public Parallelism withInferenceThreads(int n) {
        return new Parallelism(streamThreads, n, maxInFlight, intraOpThreads);
    }

    public Parallelism withMaxInFlight(int n) {
        return new Parallelism(streamThreads, inferenceThreads, n, intraOpThreads);
    }

    public Parallelism withIntraOpThreads(int n) {
        return new Parallelism(streamThreads, inferenceThreads, maxInFlight, n);
    }

    /** One line for the start-up log: {@code 1 stream thread(s), 1 inference worker(s), 2 in flight, 1 intra-op}. */
    public String describe() {
        return streamThreads + " stream thread(s), "
                + (pipelined() ? inferenceThreads + " inference worker(s), " + maxInFlight + " batch(es) in flight"
                        : "inference on the stream threads")
                + ", " + (intraOpThreads == 0 ? "PyTorch's default" : Integer.toString(intraOpThreads))
                + " intra-op thread(s)";
    }

    private static void check(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(what + " must be in [" + min + ", " + max + "]: " + value);
        }
    }
}
