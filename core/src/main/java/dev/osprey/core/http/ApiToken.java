package dev.osprey.core.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The bearer token that guards Osprey's mutating HTTP endpoints, and the one place it is read
 * from: {@code --token-file} (first line of the file) or else {@value #ENV}.
 *
 * <p>Only the SHA-256 digest is kept, and a presented token is compared digest to digest with
 * {@link MessageDigest#isEqual}: both sides have the same length whatever was sent, so neither
 * the content nor the length of a guess shows in the response time. {@link #toString()} never
 * shows the token.
 */
public final class ApiToken {

    /** The environment variable that holds the token. */
    public static final String ENV = "OSPREY_API_TOKEN";

    private static final String SCHEME = "Bearer ";

    private final byte[] digest;

    private ApiToken(byte[] digest) {
        this.digest = digest;
    }

    /**
     * A token from its text, stripped.
     *
     * @throws IllegalArgumentException when it is blank or holds whitespace (which no header could carry)
     */
    public static ApiToken of(String token) {
        Objects.requireNonNull(token, "token");
        String t = token.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("the API token must not be blank");
        }
        if (t.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("the API token must not contain whitespace");
        }
        return new ApiToken(sha256(t));
    }

    /**
     * The token of a service: the first line of {@code tokenFile} when given, else {@value #ENV}
     * when set and not blank, else none.
     *
     * @throws IllegalArgumentException when the file cannot be read or holds no token
     */
    public static Optional<ApiToken> read(Optional<Path> tokenFile, Map<String, String> env) {
        if (tokenFile.isPresent()) {
            Path file = tokenFile.get();
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("--token-file " + file + " cannot be read: " + e.getMessage(), e);
            }
            String firstLine = text.lines().findFirst().orElse("");
            if (firstLine.isBlank()) {
                throw new IllegalArgumentException("--token-file " + file + " holds no token on its first line");
            }
            return Optional.of(of(firstLine));
        }
        return Optional.ofNullable(env.get(ENV)).filter(t -> !t.isBlank()).map(ApiToken::of);
    }

    /**
     * Whether an {@code Authorization} header value carries this token: the scheme {@code Bearer}
     * in any case, then the token (surrounding spaces ignored).
     */
    public boolean matches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(SCHEME.length()).strip()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ApiToken[redacted]";
    }
}
