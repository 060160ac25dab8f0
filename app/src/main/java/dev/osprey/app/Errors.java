package dev.osprey.app;

/** Turns an exception into the one line a user sees. */
final class Errors {

    private Errors() {
    }

    static String describe(Throwable e) {
        if (e instanceof InterruptedException) {
            return "stopped before it finished starting";
        }
        Throwable t = e;
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
