package dev.osprey.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Checks, before any work starts, that the ports a command will listen on are free. */
final class Ports {

    private Ports() {
    }

    /**
     * Throws an {@link IllegalArgumentException} naming {@code flag} when {@code port} (positive)
     * cannot be bound on {@code host}; 0 (any free port) and negative (off) pass.
     */
    static void requireFree(String host, int port, String flag) {
        if (port <= 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " " + port + " is taken on " + host
                    + " (another osprey running?); give a free port, or 0 for any", e);
        }
    }
}
