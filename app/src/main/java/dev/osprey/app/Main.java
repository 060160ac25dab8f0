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
        int code = OspreyCommand.commandLine().execute(args);
        // Kafka's and DJL's non-daemon threads would otherwise keep the JVM up after the command ends.
        System.exit(code);
    }
}
