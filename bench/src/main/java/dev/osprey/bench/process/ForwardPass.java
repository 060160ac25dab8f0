package dev.osprey.bench.process;

import ai.djl.Model;
import ai.djl.engine.Engine;
import dev.osprey.classifier.batch.BatchResult;
import dev.osprey.classifier.model.DjlBatchClassifier;
import dev.osprey.classifier.model.ModelHolder;
import dev.osprey.classifier.model.ServingModel;
import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.model.InvalidArtifactException;
import dev.osprey.core.model.ModelArtifact;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The bare forward pass in this JVM, no Kafka: {@link DjlBatchClassifier#classify} (tensor fill,
 * forward pass, softmax, top-k) of batches of {@value #BATCH} on one thread, its rate and its CPU
 * per image (the process's CPU time, so PyTorch's worker threads count too).
 */
final class ForwardPass {

    static final int BATCH = 256;

    /** Images per second and CPU seconds per image over the timed part. */
    record Rate(double imagesPerSecond, double cpuSecondsPerImage) {
    }

    private ForwardPass() {
    }

    /** Warms up for {@code duration / 3}, then times {@code duration}. */
    static Rate measure(ModelArtifact model, Dataset images, Duration duration) throws InvalidArtifactException {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Model djl = model.newModel(Engine.getEngine(ModelArtifact.ENGINE).defaultDevice());
        try (ModelHolder holder = new ModelHolder()) {
            holder.swap(new ServingModel(model.manifest(), djl));
            DjlBatchClassifier classifier = new DjlBatchClassifier(holder);
            List<List<RawImage>> batches = new ArrayList<>();
            for (int b = 0; b < 8; b++) {
                List<RawImage> list = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    list.add(images.image((b * BATCH + i) % images.size()));
                }
                batches.add(list);
            }
            long warm = System.nanoTime() + duration.toNanos() / 3;
            for (int k = 0; System.nanoTime() < warm; k++) {
                run(classifier, batches.get(k & 7));
            }
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long end = t0 + duration.toNanos();
            long n = 0;
            long now;
            do {
                run(classifier, batches.get((int) (n & 7)));
                n++;
                now = System.nanoTime();
            } while (now < end);
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            long imagesDone = n * BATCH;
            return new Rate(imagesDone / ((now - t0) / 1e9), cpu / imagesDone);
        }
    }

    private static void run(DjlBatchClassifier classifier, List<RawImage> batch) {
        BatchResult r = classifier.classify(batch);
        if (r.outcomes().size() != batch.size()) {
            throw new IllegalStateException("classify returned " + r.outcomes().size() + " outcomes");
        }
    }
}
