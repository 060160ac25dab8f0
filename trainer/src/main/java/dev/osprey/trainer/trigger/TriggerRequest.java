package dev.osprey.trainer.trigger;

import dev.osprey.core.format.RetrainRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One reason to run, or several merged into one run.
 *
 * @param source  what asked first
 * @param reasons why, in words: one per merged trigger (at most {@value #MAX_REASONS} kept)
 * @param fresh   train from scratch instead of fine-tuning the serving model (if any merged
 *                trigger asked for it)
 * @param epochs  epochs asked for, if any (the last merged trigger that said wins)
 * @param at      when the first trigger arrived
 */
public record TriggerRequest(TriggerSource source, List<String> reasons, boolean fresh, Optional<Integer> epochs,
                             Instant at) {

    public static final int MAX_REASONS = 20;
    public static final String OPTION_FRESH = "fresh";
    public static final String OPTION_EPOCHS = "epochs";

    public TriggerRequest {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(epochs, "epochs");
        Objects.requireNonNull(at, "at");
        reasons = List.copyOf(reasons.size() > MAX_REASONS ? reasons.subList(0, MAX_REASONS) : reasons);
        epochs.ifPresent(e -> {
            if (e < 1 || e > 1000) {
                throw new IllegalArgumentException("epochs must be in [1, 1000]: " + e);
            }
        });
    }

    /** A fine-tune asked for by {@code source} because of {@code reason}. */
    public static TriggerRequest of(TriggerSource source, String reason) {
        return new TriggerRequest(source, List.of(reason), false, Optional.empty(), Instant.now());
    }

    /**
     * The request a {@link RetrainRequest} makes.
     *
     * @throws IllegalArgumentException for an option that is not understood
     */
    public static TriggerRequest of(TriggerSource source, RetrainRequest request) {
        String reason = request.reason() == null || request.reason().isBlank() ? "asked" : request.reason();
        if (request.who() != null && !request.who().isBlank()) {
            reason = reason + " (" + request.who() + ")";
        }
        return new TriggerRequest(source, List.of(reason), fresh(request.options()), epochs(request.options()),
                Instant.now());
    }

    private static boolean fresh(Map<String, String> options) {
        String v = options.get(OPTION_FRESH);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0", "" -> false;
            default -> throw new IllegalArgumentException("option fresh must be true or false, not '" + v + "'");
        };
    }

    private static Optional<Integer> epochs(Map<String, String> options) {
        String v = options.get(OPTION_EPOCHS);
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option epochs must be a whole number, not '" + v + "'", e);
        }
    }

    /** This request with {@code later} folded in: one run serves both. */
    public TriggerRequest merge(TriggerRequest later) {
        List<String> all = new ArrayList<>(reasons);
        for (String r : later.reasons) {
            if (all.size() < MAX_REASONS && !all.contains(r)) {
                all.add(r);
            }
        }
        return new TriggerRequest(source, all, fresh || later.fresh, later.epochs.or(() -> epochs), at);
    }

    /** The reasons as one line. */
    public String describe() {
        return String.join("; ", reasons);
    }
}
