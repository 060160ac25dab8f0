package dev.osprey.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Drops the WARN a broker's own controller channel logs on every clean shutdown ("Attempting to close
 * NetworkClient that has already been closed"). It shares its logger with the Kafka clients' real
 * warnings (a node that cannot be reached), so the logger stays at WARN and only this message goes.
 * Also the retries against a bootstrap address (node -1) that does not answer: every command first
 * checks that a broker answers and says so in one line ({@code TopicAdmin.requireBroker}), so a
 * WARN a second until then is noise. Known brokers that stop answering are still logged, once a
 * minute per client: during an outage every client warns several times a second that its broker
 * disconnected, which buries everything else (618 lines in a two-minute outage of one classifier).
 * {@code --verbose} turns the filter off.
 */
public final class RoutineWarningFilter extends Filter<ILoggingEvent> {

    private static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";
    // Kafka's LogContext puts a "[NodeToControllerChannelManager ...] " prefix before it.
    private static final String ALREADY_CLOSED = "Attempting to close NetworkClient that has already been closed.";
    private static final String BOOTSTRAP_UNREACHABLE = "Connection to node -1 ";
    private static final String[] REPEATING = {" disconnected", "could not be established"};
    private static final long REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int MAX_KEYS = 1000;

    /** When each client last logged each kind of repeating warning. */
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!Main.verbose() && event.getLevel() == Level.WARN
                && NETWORK_CLIENT.equals(event.getLoggerName())
                && event.getFormattedMessage() != null && (event.getFormattedMessage().endsWith(ALREADY_CLOSED)
                        || event.getFormattedMessage().contains(BOOTSTRAP_UNREACHABLE))) {
            return FilterReply.DENY;
        }
        if (!Main.verbose() && event.getLevel() == Level.WARN && NETWORK_CLIENT.equals(event.getLoggerName())
                && event.getFormattedMessage() != null && repeatedTooSoon(event.getFormattedMessage(),
                        System.nanoTime())) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    /** Whether {@code message}, a broker-connection warning, was logged by the same client within a minute. */
    boolean repeatedTooSoon(String message, long now) {
        for (String kind : REPEATING) {
            if (message.contains(kind)) {
                int end = message.indexOf(']');
                String key = (end > 0 ? message.substring(0, end) : "") + kind;
                Long last = lastLogged.get(key);
                if (last != null && now - last < REPEAT_NANOS) {
                    return true;
                }
                if (lastLogged.size() >= MAX_KEYS) {
                    lastLogged.clear();
                }
                lastLogged.put(key, now);
                return false;
            }
        }
        return false;
    }
}
