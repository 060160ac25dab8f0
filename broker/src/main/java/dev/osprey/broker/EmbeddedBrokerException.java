package dev.osprey.broker;

/** The embedded broker could not start, or Kafka reported a fatal fault inside it. */
public final class EmbeddedBrokerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EmbeddedBrokerException(String message) {
        super(message);
    }

    public EmbeddedBrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
