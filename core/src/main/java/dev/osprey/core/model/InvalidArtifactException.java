package dev.osprey.core.model;

/**
 * A model artifact that cannot be used: not a ZIP, an entry missing, a manifest that does not
 * parse, weights whose checksum or shapes do not match, or a model that fails its smoke test.
 * The message says which, so a classifier can log it and keep serving the model it has.
 */
public class InvalidArtifactException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidArtifactException(String message) {
        super(message);
    }

    public InvalidArtifactException(String message, Throwable cause) {
        super(message, cause);
    }
}
