package dev.osprey.bench.classifier;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging for the bench, set in code so it does not depend on (or fight with) a {@code logback.xml}
 * another module puts on the classpath: progress to stderr, the result tables alone on stdout, and
 * the broker, the Kafka clients and DJL at WARN, since their INFO lines would cost CPU in the very
 * process being measured.
 */
public final class BenchLogging {

    private BenchLogging() {
    }

    public static void configure() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(ctx);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(stderr);
        root.setLevel(Level.WARN);
        ctx.getLogger("state.change.logger").setLevel(Level.ERROR);
        // Warns at every start that the (unused) global thread has no processing exception handler.
        ctx.getLogger("org.apache.kafka.streams.StreamsConfig").setLevel(Level.ERROR);
        ctx.getLogger("dev.osprey.bench").setLevel(Level.INFO);
    }
}
