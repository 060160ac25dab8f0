package dev.osprey.app;

import dev.osprey.core.metrics.MetricsServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** Where a service serves {@code /metrics}, {@code /healthz} and {@code /readyz}. */
final class MetricsOptions {

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Port for /metrics, /healthz and /readyz; 0 picks a free one, -1 turns them off "
                    + "(default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = "${env:OSPREY_METRICS_HOST:-127.0.0.1}",
            description = "Address the metrics endpoint binds; 0.0.0.0 lets Prometheus on another machine scrape "
                    + "it (env OSPREY_METRICS_HOST, default: ${DEFAULT-VALUE}).")
    String host;

    MetricsOptions(int defaultPort) {
        this.port = defaultPort;
    }

    /** Fails at once, naming the flag, when the metrics port is taken. */
    void requirePortFree() {
        Ports.requireFree(host, port, "--metrics-port");
    }

    /** A Prometheus registry with the JVM binders bound. */
    static PrometheusMeterRegistry newRegistry(String service) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("service", service);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /** Starts the endpoint, unless turned off. */
    Optional<MetricsServer> start(PrometheusMeterRegistry registry, BooleanSupplier ready) throws IOException {
        return start(registry, ready, Optional::empty);
    }

    /** Starts the endpoint, unless turned off; {@code /healthz} fails while {@code failure} says why. */
    Optional<MetricsServer> start(PrometheusMeterRegistry registry, BooleanSupplier ready,
                                  Supplier<Optional<String>> failure) throws IOException {
        if (port < 0) {
            return Optional.empty();
        }
        MetricsServer server = MetricsServer.start(new InetSocketAddress(host, port), registry, ready, failure);
        System.err.println("metrics on http://" + host + ":" + server.port() + "/metrics");
        return Optional.of(server);
    }
}
