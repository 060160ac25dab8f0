package dev.osprey.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops the WARN a broker's own controller channel logs on every clean shutdown ("Attempting to close
 * NetworkClient that has already been closed"). It shares its logger with the Kafka clients' real
 * warnings (a node that cannot be reached), so the logger stays at WARN and only this message goes.
 * Also the retries against a bootstrap address (node -1) that does not answer: every command first
 * checks that a broker answers and says so in one line ({@code TopicAdmin.requireBroker}), so a
 * WARN a second until then is noise. Known brokers that stop answering are still logged.
 * {@code --verbose} turns the filter off.
 */
public final class RoutineWarningFilter extends Filter<ILoggingEvent> {

    private static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";
    // Kafka's LogContext puts a "[NodeToControllerChannelManager ...] " prefix before it.
    private static final String ALREADY_CLOSED = "Attempting to close NetworkClient that has already been closed.";
    private static final String BOOTSTRAP_UNREACHABLE = "Connection to node -1 ";

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!Main.verbose() && event.getLevel() == Level.WARN
                && NETWORK_CLIENT.equals(event.getLoggerName())
                && event.getFormattedMessage() != null && (event.getFormattedMessage().endsWith(ALREADY_CLOSED)
                        || event.getFormattedMessage().contains(BOOTSTRAP_UNREACHABLE))) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }
}
