package dev.osprey.trainer.trigger;

import dev.osprey.trainer.live.LiveAccuracy;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live-accuracy trigger: each time the serving version of the model has another full window of
 * outcomes, logs its live accuracy and asks for a run if it is below the threshold. Checking once
 * per window, not per outcome, is the back-off: a run that cannot help (rejected candidate) is
 * retried only after another window of evidence.
 */
public final class LiveAccuracyTrigger implements LiveAccuracy.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(LiveAccuracyTrigger.class);

    private final String model;
    private final double threshold;
    private final TriggerSink sink;

    /**
     * @param model     the trainer's model; other models' outcomes are only logged
     * @param threshold retrain below this; 0 never triggers
     */
    public LiveAccuracyTrigger(String model, double threshold, TriggerSink sink) {
        this.model = model;
        this.threshold = threshold;
        this.sink = sink;
    }

    /** Older versions, still measured on late feedback after a swap, never trigger. */
    @Override
    public void windowFilled(LiveAccuracy source, String name, int version, double accuracy) {
        int window = source.window();
        // Once per window, which a busy stream fills every few seconds: the number is on the dashboard,
        // and a run it starts is logged by the scheduler.
        LOG.debug("live accuracy of {}:v{} over its last {} outcomes: {}", name, version, window,
                String.format(Locale.ROOT, "%.4f", accuracy));
        if (threshold > 0 && model.equals(name) && version >= source.newestVersion(name).orElse(version) && accuracy < threshold) {
            sink.submit(TriggerRequest.of(TriggerSource.LIVE_ACCURACY, String.format(Locale.ROOT,
                    "live accuracy of %s:v%d over the last %d outcomes is %.4f, below %.4f", name, version, window,
                    accuracy, threshold)));
        }
    }
}
