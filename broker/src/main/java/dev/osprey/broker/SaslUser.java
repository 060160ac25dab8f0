package dev.osprey.broker;

import dev.osprey.core.config.KafkaSettings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.KafkaException;

/**
 * The one user a secured {@link EmbeddedBroker} accepts: its client listener speaks SASL over
 * plaintext with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, as the SASL listeners of a company
 * cluster do (without TLS, which a real cluster adds in front). The same user is the broker's own
 * inter-broker identity.
 *
 * @param name     the user name: letters, digits and {@code . _ -}
 * @param password the password, at least 8 characters, without quotes or backslashes
 */
public record SaslUser(String name, String password) {

    /** SASL mechanism names as Kafka spells them. */
    public static final String PLAIN = "PLAIN";
    public static final String SCRAM_SHA_256 = "SCRAM-SHA-256";
    public static final String SCRAM_SHA_512 = "SCRAM-SHA-512";

    private static final String LISTENER = "SASL_PLAINTEXT";
    private static final String PREFIX = "listener.name." + LISTENER.toLowerCase(Locale.ROOT) + ".";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** SCRAM's minimum iteration count in Kafka is 4096. */
    private static final int SCRAM_ITERATIONS = 8192;

    public SaslUser {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(password, "password");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("SASL user name must be 1-64 of [A-Za-z0-9._-]: '" + name + "'");
        }
        if (password.length() < 8 || password.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20)) {
            throw new IllegalArgumentException(
                    "SASL password must have at least 8 characters and no quotes, backslashes or control characters");
        }
    }

    /** The broker settings of a SASL client listener on {@code host:port}; the controller stays plaintext. */
    Map<String, String> listenerProperties(String host, int port, String controllerListener, int controllerPort) {
        return Map.ofEntries(
                Map.entry("listeners", LISTENER + "://" + host + ":" + port + ","
                        + controllerListener + "://" + host + ":" + controllerPort),
                Map.entry("advertised.listeners", LISTENER + "://" + host + ":" + port),
                Map.entry("inter.broker.listener.name", LISTENER),
                Map.entry("listener.security.protocol.map",
                        LISTENER + ":" + LISTENER + "," + controllerListener + ":PLAINTEXT"),
                Map.entry("sasl.enabled.mechanisms", String.join(",", PLAIN, SCRAM_SHA_256, SCRAM_SHA_512)),
                Map.entry("sasl.mechanism.inter.broker.protocol", PLAIN),
                Map.entry(PREFIX + "plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule"
                        + " required username=\"" + name + "\" password=\"" + password + "\" user_" + name + "=\""
                        + password + "\";"),
                Map.entry(PREFIX + "scram-sha-256.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;"),
                Map.entry(PREFIX + "scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;"));
    }

    /** What a client sets to log in as this user with {@code mechanism}. */
    public Map<String, String> clientProperties(String mechanism) {
        String module = switch (mechanism) {
            case PLAIN -> "org.apache.kafka.common.security.plain.PlainLoginModule";
            case SCRAM_SHA_256, SCRAM_SHA_512 -> "org.apache.kafka.common.security.scram.ScramLoginModule";
            default -> throw new IllegalArgumentException("unknown SASL mechanism " + mechanism);
        };
        return Map.of("security.protocol", LISTENER, "sasl.mechanism", mechanism,
                "sasl.jaas.config", module + " required username=\"" + name + "\" password=\"" + password + "\";");
    }

    /** Stores (or replaces) this user's SCRAM credentials for both SCRAM mechanisms. */
    void storeScramCredentials(KafkaSettings plainClient, Duration timeout) {
        try (Admin admin = Admin.create(plainClient.adminProperties(timeout))) {
            // Kafka takes one change per user in a request.
            for (ScramMechanism mechanism : List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)) {
                admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(name,
                                new ScramCredentialInfo(mechanism, SCRAM_ITERATIONS), password)))
                        .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("cannot store the SCRAM credentials of '" + name + "': " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while storing the SCRAM credentials of '" + name + "'", e);
        }
    }

    @Override
    public String toString() {
        return "SaslUser[" + name + ", password hidden]";
    }
}
