package dev.osprey.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The endpoint tag is one of four values, whatever id the path carries. */
class RequestMetersTest {

    @Test
    void theTagNamesTheEndpointNeverTheId() {
        assertThat(RequestMeters.endpoint("/images")).isEqualTo("images");
        assertThat(RequestMeters.endpoint("/images/shoe.png")).isEqualTo("images");
        assertThat(RequestMeters.endpoint("/predictions/run7/test-00042")).isEqualTo("predictions");
        assertThat(RequestMeters.endpoint("/FEEDBACK/x")).isEqualTo("feedback");
        assertThat(RequestMeters.endpoint("/imagesx")).isEqualTo("other");
        assertThat(RequestMeters.endpoint("/")).isEqualTo("other");
    }
}
