package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One reader for the token (file, then environment) and one way to check a header against it. */
class ApiTokenTest {

    @TempDir
    Path dir;

    @Test
    void theHeaderMustCarryExactlyTheToken() {
        ApiToken token = ApiToken.of("s3cret");

        assertThat(token.matches("Bearer s3cret")).isTrue();
        assertThat(token.matches("bearer  s3cret ")).as("scheme in any case, spaces ignored").isTrue();
        assertThat(token.matches("Bearer s3cre")).isFalse();
        assertThat(token.matches("Bearer s3cret2")).isFalse();
        assertThat(token.matches("Bearer ")).isFalse();
        assertThat(token.matches("s3cret")).as("no scheme").isFalse();
        assertThat(token.matches("Basic s3cret")).isFalse();
        assertThat(token.matches(null)).isFalse();
    }

    @Test
    void theFileWinsOverTheEnvironmentAndOnlyItsFirstLineCounts() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "from-file\nsecond line\n", StandardCharsets.UTF_8);
        Map<String, String> env = Map.of(ApiToken.ENV, "from-env");

        ApiToken token = ApiToken.read(Optional.of(file), env).orElseThrow();

        assertThat(token.matches("Bearer from-file")).isTrue();
        assertThat(token.matches("Bearer from-env")).isFalse();
        assertThat(ApiToken.read(Optional.empty(), env).orElseThrow().matches("Bearer from-env")).isTrue();
    }

    @Test
    void unsetOrBlankMeansNoToken() {
        assertThat(ApiToken.read(Optional.empty(), Map.of())).isEmpty();
        assertThat(ApiToken.read(Optional.empty(), Map.of(ApiToken.ENV, "  "))).isEmpty();
    }

    @Test
    void aMissingOrEmptyFileIsAClearError() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ApiToken.read(Optional.of(dir.resolve("absent")), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--token-file");
        assertThatThrownBy(() -> ApiToken.read(Optional.of(empty), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no token");
        assertThatThrownBy(() -> ApiToken.of("two words")).hasMessageContaining("whitespace");
    }

    @Test
    void itNeverPrintsItself() {
        assertThat(ApiToken.of("s3cret").toString()).doesNotContain("s3cret");
    }
}
