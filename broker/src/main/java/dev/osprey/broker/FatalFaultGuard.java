package dev.osprey.broker;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Kafka's fatal-fault handler from halting the whole JVM while an embedded broker runs.
 *
 * <p>Kafka's {@code ProcessTerminatingFaultHandler} calls {@link Exit#halt(int)} on a fatal
 * metadata fault; in a standalone broker that is right, but here the broker shares the JVM with
 * the Osprey services (and with the test runner), which would die without closing anything.
 * While at least one embedded broker is running, halt and exit requests are logged, remembered and
 * turned into an exception in the thread that raised them. {@link Exit}'s procedures are global,
 * so installation is reference-counted.
 */
final class FatalFaultGuard {

    private static final Logger LOG = LoggerFactory.getLogger(FatalFaultGuard.class);
    private static final AtomicReference<String> LAST_FAULT = new AtomicReference<>();
    private static final AtomicLong FAULTS = new AtomicLong();
    private static int users;

    private FatalFaultGuard() {
    }

    static synchronized void acquire() {
        if (users++ == 0) {
            Exit.setHaltProcedure((code, message) -> refuse("halt", code, message));
            Exit.setExitProcedure((code, message) -> refuse("exit", code, message));
        }
    }

    static synchronized void release() {
        if (users > 0 && --users == 0) {
            Exit.resetHaltProcedure();
            Exit.resetExitProcedure();
        }
    }

    /** A mark to pass to {@link #lastFaultSince(long)}: the number of faults seen so far. */
    static long mark() {
        return FAULTS.get();
    }

    /** The last fatal fault reported after {@code mark} was taken, if any. */
    static Optional<String> lastFaultSince(long mark) {
        return FAULTS.get() > mark ? Optional.ofNullable(LAST_FAULT.get()) : Optional.empty();
    }

    private static void refuse(String kind, int code, String message) {
        String text = "Kafka requested JVM " + kind + "(" + code + ")" + (message == null ? "" : ": " + message);
        LAST_FAULT.set(text);
        FAULTS.incrementAndGet();
        LOG.error("{}; the embedded broker does not stop the JVM, it should be closed and restarted", text);
        throw new EmbeddedBrokerException(text);
    }
}
