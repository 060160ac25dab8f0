package dev.osprey.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.classifier.ClassifierMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The classifier's poison-record meters under the Prometheus names docs/OPERATIONS.md gives them. */
class ClassifierMeterNamesTest {

    @Test
    void recoveryLossesAndProductionErrorsHaveTheDocumentedNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ClassifierMetrics metrics = new ClassifierMetrics(registry);
        metrics.recoveryLost(3);
        metrics.productionFailed("predictions", "RecordTooLargeException");
        String scrape = registry.scrape();
        assertThat(scrape).contains("osprey_classifier_recovery_lost_total 3.0");
        assertThat(scrape).containsPattern(
                "osprey_classifier_production_errors_total\\{error=\"RecordTooLargeException\",topic=\"predictions\"} 1\\.0");
        assertThat(scrape).contains("osprey_classifier_dead_letters_total{reason=\"inference-failed\"} 0.0");
    }
}
