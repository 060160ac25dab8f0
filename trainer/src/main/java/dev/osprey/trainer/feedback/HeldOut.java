package dev.osprey.trainer.feedback;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Which side of the train / held-out split an image id falls on. A hash of the id, not a coin
 * toss, decides: the same image stays on the same side across runs, restarts and instances, so a
 * candidate is never scored on an image an earlier version was trained on.
 */
public final class HeldOut {

    /** Where an example goes. */
    public enum Role {
        /** Trains candidates. */
        TRAIN,
        /** Picks a candidate's best epoch. */
        VALIDATION,
        /** Scores the candidate against the serving model. */
        GATE
    }

    private HeldOut() {
    }

    /**
     * The role of image {@code id} when {@code percent} of the feedback is held out: the lower half
     * of the held-out buckets validates, the upper half gates.
     */
    public static Role role(String id, int percent) {
        int bucket = bucket(id);
        if (bucket >= percent) {
            return Role.TRAIN;
        }
        return bucket < percent / 2 ? Role.VALIDATION : Role.GATE;
    }

    /** A stable bucket in [0, 100) for {@code id}: murmur2, as Kafka's partitioner uses. */
    static int bucket(String id) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % 100;
    }
}
