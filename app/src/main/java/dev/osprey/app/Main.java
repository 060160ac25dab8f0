package dev.osprey.app;

import picocli.CommandLine;

/** Entry point of the {@code osprey} command. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
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
}
