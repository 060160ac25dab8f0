package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConsoleProgressBarTest {

    @Test
    void showsShareCountRateAndEta() {
        String bar = ConsoleProgressBar.render(1000, 250, 2_000_000_000L);
        assertThat(bar).startsWith("[=======>").contains(" 25%").contains("250/1000").contains("125/s")
                .contains("ETA 0:06");
        assertThat(ConsoleProgressBar.render(10, 10, 1_000_000_000L)).contains("100%").contains("[====")
                .doesNotContain(">");
    }

    @Test
    void withoutATotalShowsCountRateAndElapsed() {
        assertThat(ConsoleProgressBar.render(-1, 5000, 4_000_000_000L))
                .startsWith("5000 published").contains("1250/s").contains("0:04 elapsed");
    }
}
