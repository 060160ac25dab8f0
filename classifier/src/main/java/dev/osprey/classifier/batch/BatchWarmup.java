package dev.osprey.classifier.batch;

import dev.osprey.core.image.ImageDecoder;
import dev.osprey.core.image.ImageHeaders;
import dev.osprey.core.image.ImageRejectedException;
import dev.osprey.core.image.InputSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Runs the per-record path on synthetic images before the first real record, so that the first
 * seconds after a start are not spent interpreting and compiling it: raw records are decoded as
 * {@code process()} decodes them, and full-size batches go through {@link BatchRun} (forward pass,
 * top-k, prediction JSON) on every inference worker, which also makes each worker's predictor and
 * direct input buffer. Nothing is written anywhere.
 */
public final class BatchWarmup {

    private BatchWarmup() {
    }

    /**
     * @param rounds full batches per worker; about 40 reach the JIT's compile thresholds for the
     *               per-image methods (some 10,000 calls)
     * @param budget at most this long (a slow model does fewer rounds), after the first
     * @return how many images were classified
     */
    public static int run(BatchClassifier classifier, InputSpec input, BatchSettings settings, InferencePool pool,
                          int rounds, Duration budget) throws InterruptedException {
        int batchSize = settings.maxBatch();
        IsolatingClassifier isolating = new IsolatingClassifier(classifier, "warm-up");
        int workers = Math.max(1, pool.threads());
        int classified = 0;
        long deadline = System.nanoTime() + budget.toNanos();
        for (int r = 0; r < rounds && (r == 0 || System.nanoTime() < deadline); r++) {
            // Decoded again each round, on this thread, as the stream threads decode.
            List<PendingImage> batch = syntheticBatch(input, batchSize, settings.maxPixels());
            List<Future<BatchRun.Finished>> runs = new ArrayList<>(workers);
            for (int w = 0; w < workers; w++) {
                runs.add(pool.submit(new BatchRun(batch, isolating, null, System::currentTimeMillis, "warm-up", 0)));
            }
            for (Future<BatchRun.Finished> f : runs) {
                try {
                    classified += f.get().size();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("the warm-up forward pass failed", e.getCause());
                }
            }
        }
        return classified;
    }

    private static List<PendingImage> syntheticBatch(InputSpec input, int size, long maxPixels) {
        Random random = new Random(1);
        RecordHeaders headers = new RecordHeaders();
        headers.add(ImageHeaders.CONTENT_TYPE, ImageHeaders.RAW.getBytes(StandardCharsets.UTF_8));
        headers.add(ImageHeaders.WIDTH, Integer.toString(input.width()).getBytes(StandardCharsets.UTF_8));
        headers.add(ImageHeaders.HEIGHT, Integer.toString(input.height()).getBytes(StandardCharsets.UTF_8));
        headers.add(ImageHeaders.CHANNELS, Integer.toString(input.channels()).getBytes(StandardCharsets.UTF_8));
        headers.add(ImageHeaders.LABEL, "0".getBytes(StandardCharsets.UTF_8));
        List<PendingImage> batch = new ArrayList<>(size);
        long now = System.currentTimeMillis();
        for (int i = 0; i < size; i++) {
            byte[] pixels = new byte[input.size()];
            random.nextBytes(pixels);
            try {
                batch.add(new PendingImage("warm-up-" + i, ImageDecoder.decode(pixels, headers, maxPixels), i, now,
                        ImageHeaders.labelIndex(headers), now, pixels, headers));
            } catch (ImageRejectedException e) {
                throw new IllegalStateException("a synthetic " + input + " image does not decode: " + e.getMessage(), e);
            }
        }
        return batch;
    }
}
