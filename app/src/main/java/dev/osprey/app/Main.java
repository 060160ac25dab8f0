package dev.osprey.app;

import java.util.Arrays;

/** Entry point of the {@code osprey} command. */
public final class Main {

    private Main() {
    }

    /** The system property that {@code logback.xml} reads for the level of Kafka's and DJL's routine warnings. */
    static final String QUIET_LEVEL = "OSPREY_QUIET_LEVEL";

    public static void main(String[] args) {
        // Set before the first logger is created, so logback.xml reads it; --verbose itself is an option of OspreyCommand.
        if (Arrays.asList(args).contains(OspreyCommand.VERBOSE)) {
            System.setProperty(QUIET_LEVEL, "WARN");
        }
        // Osprey runs where the network may be closed: DJL must not try to download libtorch or phone home.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        int code = 1;
        try {
            code = OspreyCommand.commandLine().execute(args);
        } catch (Throwable t) {
            System.err.println("osprey: " + t);
        } finally {
            // Kafka's and DJL's non-daemon threads would otherwise keep the JVM up after the command ends,
            // also when an Error escaped the command.
            System.exit(code);
        }
    }

    /** Whether {@code --verbose} asked for the routine warnings too. */
    static boolean verbose() {
        return "WARN".equals(System.getProperty(QUIET_LEVEL));
    }
}
