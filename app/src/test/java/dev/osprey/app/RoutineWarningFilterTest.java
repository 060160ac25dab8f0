package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** Routine client noise goes; real warnings of the same logger stay. */
class RoutineWarningFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final RoutineWarningFilter filter = new RoutineWarningFilter();

    private FilterReply decide(String logger, Level level, String pattern, Object... args) {
        return filter.decide(new LoggingEvent(getClass().getName(), context.getLogger(logger), level, pattern, null,
                args));
    }

    @Test
    void dropsRetriesAgainstAnUnansweredBootstrapAddress() {
        assertThat(decide("org.apache.kafka.clients.NetworkClient", Level.WARN,
                "[AdminClient clientId=adminclient-1] Connection to node {} ({}) could not be established. "
                        + "Node may not be available.", -1, "localhost/127.0.0.1:9092"))
                .isEqualTo(FilterReply.DENY);
        assertThat(decide("org.apache.kafka.clients.NetworkClient", Level.WARN,
                "[NodeToControllerChannelManager id=1] Attempting to close NetworkClient that has already been closed."))
                .isEqualTo(FilterReply.DENY);
    }

    @Test
    void keepsAKnownBrokerThatStopsAnsweringAndOtherLoggers() {
        assertThat(decide("org.apache.kafka.clients.NetworkClient", Level.WARN,
                "[Producer clientId=p] Connection to node {} ({}) could not be established.", 1, "broker-1:9092"))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("dev.osprey.Other", Level.WARN, "Connection to node -1 whatever"))
                .isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void aBrokerThatStaysDownIsWarnedAboutOnceAMinutePerClient() {
        String producer = "[Producer clientId=p] Bootstrap broker localhost:9092 (id: -1 rack: null) disconnected";
        String consumer = "[Consumer clientId=c] Bootstrap broker localhost:9092 (id: -1 rack: null) disconnected";
        long t = 1_000_000_000_000L;
        assertThat(filter.repeatedTooSoon(producer, t)).isFalse();
        assertThat(filter.repeatedTooSoon(producer, t + 1_000_000_000L)).as("a second later").isTrue();
        assertThat(filter.repeatedTooSoon(consumer, t + 1_000_000_000L)).as("another client").isFalse();
        assertThat(filter.repeatedTooSoon(producer, t + 61_000_000_000L)).as("a minute later").isFalse();
        assertThat(filter.repeatedTooSoon("[Producer clientId=p] something else", t)).isFalse();
    }
}
