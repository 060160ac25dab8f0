package dev.osprey.bench.classifier;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.osprey.core.model.ModelArtifact;

/**
 * PyTorch's intra-op thread count, varied per scenario inside one JVM.
 *
 * <p>The classifier sets it only through {@code ai.djl.pytorch.num_threads}, read once when the
 * engine starts, so one JVM could only ever measure one value. But PyTorch keeps the count in a
 * global that each thread reads the first time it runs a parallel operator ({@code at::set_num_threads},
 * {@code lazy_init_num_threads}); every run's stream thread is new, so setting the global before an
 * app starts gives that app's forward passes the scenario's count. The calling thread's own count
 * changes at once, which is what the {@link ModelCeiling} measurements use.
 */
final class TorchThreads {

    private static int engineDefault = -1;

    private TorchThreads() {
    }

    /** The count PyTorch chose at engine start (one per core unless configured); read before any change. */
    static synchronized int engineDefault() {
        if (engineDefault < 0) {
            Engine.getEngine(ModelArtifact.ENGINE);
            engineDefault = JniUtils.getNumThreads();
        }
        return engineDefault;
    }

    /** Threads that start using PyTorch from now on get {@code threads}; 0 restores the engine default. */
    static void set(int threads) {
        JniUtils.setNumThreads(threads > 0 ? threads : engineDefault());
    }
}
