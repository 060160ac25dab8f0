package dev.osprey.broker;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The key material of a TLS {@link EmbeddedBroker}: the broker's own key and certificate (a
 * PKCS12 keystore) and the certificates it and its clients trust (a PKCS12 truststore). With
 * {@code requireClientCertificate} the client listener takes only clients that present a
 * certificate the truststore vouches for (mutual TLS, {@code ssl.client.auth=required}).
 *
 * @param keystore                 the broker's PKCS12 keystore (its key and certificate chain)
 * @param keystorePassword         the password of the keystore and of the key in it
 * @param truststore               the PKCS12 truststore holding the CA that signed the certificates
 * @param truststorePassword       the password of the truststore
 * @param requireClientCertificate whether clients must present a certificate (mutual TLS)
 */
public record TlsMaterial(Path keystore, String keystorePassword, Path truststore, String truststorePassword,
                          boolean requireClientCertificate) {

    private static final String LISTENER = "SSL";

    public TlsMaterial {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(keystorePassword, "keystorePassword");
        Objects.requireNonNull(truststore, "truststore");
        Objects.requireNonNull(truststorePassword, "truststorePassword");
        keystore = keystore.toAbsolutePath();
        truststore = truststore.toAbsolutePath();
    }

    /** The broker settings of a TLS client listener on {@code host:port}; the controller stays plaintext. */
    Map<String, String> listenerProperties(String host, int port, String controllerListener, int controllerPort) {
        Map<String, String> p = new HashMap<>(Map.of(
                "listeners", LISTENER + "://" + host + ":" + port + ","
                        + controllerListener + "://" + host + ":" + controllerPort,
                "advertised.listeners", LISTENER + "://" + host + ":" + port,
                "inter.broker.listener.name", LISTENER,
                "listener.security.protocol.map", LISTENER + ":" + LISTENER + "," + controllerListener + ":PLAINTEXT",
                "ssl.client.auth", requireClientCertificate ? "required" : "none"));
        // The broker talks to itself over the same listener, so it also needs the client side.
        p.putAll(keystoreProperties());
        p.putAll(truststoreProperties());
        return p;
    }

    /**
     * What a client sets to connect: TLS, trusting the truststore; with mutual TLS also the
     * broker's own keystore as the client's certificate (signed by the same CA, so accepted).
     */
    Map<String, String> clientProperties() {
        Map<String, String> p = new HashMap<>(truststoreProperties());
        p.put("security.protocol", LISTENER);
        if (requireClientCertificate) {
            p.putAll(keystoreProperties());
        }
        return Map.copyOf(p);
    }

    private Map<String, String> keystoreProperties() {
        return Map.of("ssl.keystore.type", "PKCS12", "ssl.keystore.location", keystore.toString(),
                "ssl.keystore.password", keystorePassword, "ssl.key.password", keystorePassword);
    }

    private Map<String, String> truststoreProperties() {
        return Map.of("ssl.truststore.type", "PKCS12", "ssl.truststore.location", truststore.toString(),
                "ssl.truststore.password", truststorePassword);
    }

    @Override
    public String toString() {
        return "TlsMaterial[" + keystore + ", " + truststore + ", client certificate "
                + (requireClientCertificate ? "required" : "not required") + ", passwords hidden]";
    }
}
