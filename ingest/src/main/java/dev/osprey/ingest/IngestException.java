package dev.osprey.ingest;

/**
 * An ingest run could not start or could not finish: a missing or malformed source, or Kafka out of
 * reach. The message is written for the person who started the run; nothing was published when
 * the source could not be read.
 */
public final class IngestException extends Exception {

    private static final long serialVersionUID = 1L;

    public IngestException(String message) {
        super(message);
    }

    public IngestException(String message, Throwable cause) {
        super(message, cause);
    }
}
