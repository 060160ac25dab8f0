package dev.osprey.ingest.http;

/**
 * A request the API answers with a 4xx or 5xx status and {@code {"error": message}}. The message
 * is written for the person who sent the request.
 */
final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    ApiError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, message);
    }

    static ApiError tooLarge(String message) {
        return new ApiError(413, message);
    }

    static ApiError unsupportedType(String message) {
        return new ApiError(415, message);
    }
}
