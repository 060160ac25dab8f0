package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A server without a token stays on loopback unless the operator says --no-auth. */
class HttpAccessTest {

    @Test
    void loopbackNamesAreRecognised() {
        assertThat(HttpAccess.isLoopback("127.0.0.1")).isTrue();
        assertThat(HttpAccess.isLoopback("127.1.2.3")).isTrue();
        assertThat(HttpAccess.isLoopback("localhost")).isTrue();
        assertThat(HttpAccess.isLoopback("::1")).isTrue();
        assertThat(HttpAccess.isLoopback("[::1]")).isTrue();
        assertThat(HttpAccess.isLoopback("0.0.0.0")).isFalse();
        assertThat(HttpAccess.isLoopback("::")).isFalse();
        assertThat(HttpAccess.isLoopback("192.0.2.7")).isFalse();
        assertThat(HttpAccess.isLoopbackName("127.0.0.1")).isTrue();
        assertThat(HttpAccess.isLoopbackName("0:0:0:0:0:0:0:1")).isTrue();
        assertThat(HttpAccess.isLoopbackName("app.localhost")).isTrue();
        assertThat(HttpAccess.isLoopbackName("localtest.me")).as("never resolved").isFalse();
    }

    @Test
    void aWildcardBindWithoutATokenIsRefusedInOneLine() {
        assertThatThrownBy(() -> HttpAccess.loopbackOnly().requireSafeBind("0.0.0.0", "POST /retrain"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.0.0.0").hasMessageContaining(ApiToken.ENV).hasMessageContaining("--no-auth")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aTokenOrNoAuthOrLoopbackMayServe() {
        assertThatCode(() -> HttpAccess.loopbackOnly().requireSafeBind("127.0.0.1", "x")).doesNotThrowAnyException();
        assertThatCode(() -> HttpAccess.withToken(ApiToken.of("t")).requireSafeBind("0.0.0.0", "x"))
                .doesNotThrowAnyException();
        assertThatCode(() -> new HttpAccess(Optional.empty(), true).requireSafeBind("0.0.0.0", "x"))
                .doesNotThrowAnyException();
    }
}
