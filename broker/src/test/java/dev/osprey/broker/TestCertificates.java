package dev.osprey.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority made with the JDK's {@code keytool}: a CA, a broker
 * certificate for {@code localhost} / {@code 127.0.0.1} signed by it, a client certificate signed
 * by it, and a truststore holding the CA, all PKCS12 files in one directory.
 */
final class TestCertificates {

    static final String PASSWORD = "changeit-tls";

    final Path truststore;
    final Path brokerKeystore;
    final Path clientKeystore;

    private final Path dir;
    private final String keytool;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        this.truststore = dir.resolve("truststore.p12");
        this.brokerKeystore = dir.resolve("broker.p12");
        this.clientKeystore = dir.resolve("client.p12");
    }

    /** Makes the CA, the broker and client certificates and the truststore in {@code dir}. */
    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        TestCertificates c = new TestCertificates(dir);
        Path ca = dir.resolve("ca.p12");
        Path caCert = dir.resolve("ca.pem");
        c.keytool("-genkeypair", "-keystore", ca.toString(), "-alias", "ca", "-dname", "CN=Osprey Test CA",
                "-ext", "bc:c", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2");
        c.keytool("-exportcert", "-rfc", "-keystore", ca.toString(), "-alias", "ca", "-file", caCert.toString());
        c.keytool("-importcert", "-noprompt", "-keystore", c.truststore.toString(), "-alias", "ca",
                "-file", caCert.toString());
        c.signed(ca, caCert, c.brokerKeystore, "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
        c.signed(ca, caCert, c.clientKeystore, "CN=osprey-client", null);
        return c;
    }

    /** The broker's material: its keystore and the truststore, clients' certificates optional or required. */
    TlsMaterial broker(boolean requireClientCertificate) {
        return new TlsMaterial(brokerKeystore, PASSWORD, truststore, PASSWORD, requireClientCertificate);
    }

    private void signed(Path ca, Path caCert, Path keystore, String dname, String san)
            throws IOException, InterruptedException {
        Path csr = dir.resolve(keystore.getFileName() + ".csr");
        Path cert = dir.resolve(keystore.getFileName() + ".pem");
        keytool("-genkeypair", "-keystore", keystore.toString(), "-alias", "key", "-dname", dname,
                "-keyalg", "RSA", "-keysize", "2048", "-validity", "2");
        keytool("-certreq", "-keystore", keystore.toString(), "-alias", "key", "-file", csr.toString());
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-keystore", ca.toString(), "-alias", "ca",
                "-infile", csr.toString(), "-outfile", cert.toString(), "-rfc", "-validity", "2"));
        if (san != null) {
            gencert.addAll(List.of("-ext", san));
        }
        keytool(gencert.toArray(String[]::new));
        // The chain is imported CA first, so keytool can link the signed certificate to its key.
        keytool("-importcert", "-noprompt", "-keystore", keystore.toString(), "-alias", "ca",
                "-file", caCert.toString());
        keytool("-importcert", "-keystore", keystore.toString(), "-alias", "key", "-file", cert.toString());
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(keytool));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        if (args[0].equals("-genkeypair")) {
            command.addAll(List.of("-keypass", PASSWORD));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + out);
        }
    }
}
