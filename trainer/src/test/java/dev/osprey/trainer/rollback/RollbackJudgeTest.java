package dev.osprey.trainer.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.osprey.trainer.live.VersionStats;
import org.junit.jupiter.api.Test;

class RollbackJudgeTest {

    private final RollbackJudge judge = new RollbackJudge(0.05, 200, 0.01);

    private static VersionStats stats(int version, int correct, int wrong) {
        VersionStats s = new VersionStats("m", version);
        for (int i = 0; i < correct; i++) {
            s.add(1, 1);
        }
        for (int i = 0; i < wrong; i++) {
            s.add(1, 2);
        }
        return s;
    }

    @Test
    void aClearDropOverEnoughImagesIsARollbackWithItsEvidence() {
        RollbackJudge.Evidence e = judge.judge(stats(1, 170, 30), stats(2, 20, 180)).orElseThrow();

        assertThat(e.previousVersion()).isEqualTo(1);
        assertThat(e.currentVersion()).isEqualTo(2);
        assertThat(e.previousAccuracy()).isEqualTo(0.85);
        assertThat(e.currentAccuracy()).isEqualTo(0.10);
        assertThat(e.pValue()).isLessThan(1e-6);
        assertThat(e.toMap()).containsEntry("test", RollbackJudge.TEST).containsKeys("z", "pValue");
        assertThat(e.describe()).contains("v2", "v1", "0.1000", "0.8500");
    }

    @Test
    void tooFewImagesOfEitherVersionIsNoVerdict() {
        assertThat(judge.judge(stats(1, 170, 29), stats(2, 0, 300))).isEmpty();
        assertThat(judge.judge(stats(1, 300, 0), stats(2, 0, 199))).isEmpty();
    }

    @Test
    void aDropWithinTheThresholdIsKept() {
        // 0.85 -> 0.81 over 10,000 images each is significant but only 4 points.
        assertThat(judge.judge(stats(1, 8500, 1500), stats(2, 8100, 1900))).isEmpty();
    }

    @Test
    void aDropBeyondTheThresholdThatIsNotSignificantIsKept() {
        // 0.90 -> 0.84 over 200 each: z is about 1.9, one-sided p about 0.03.
        assertThat(judge.judge(stats(1, 180, 20), stats(2, 168, 32))).isEmpty();
        assertThat(new RollbackJudge(0.05, 200, 0.05).judge(stats(1, 180, 20), stats(2, 168, 32))).isPresent();
    }

    @Test
    void aBetterVersionIsNeverRolledBack() {
        assertThat(judge.judge(stats(1, 20, 180), stats(2, 170, 30))).isEmpty();
    }

    @Test
    void theNormalTailIsRight() {
        assertThat(RollbackJudge.upperTail(0)).isCloseTo(0.5, within(1e-6));
        assertThat(RollbackJudge.upperTail(2.3263)).isCloseTo(0.01, within(1e-5));
        assertThat(RollbackJudge.upperTail(-1.6449)).isCloseTo(0.95, within(1e-5));
    }

    @Test
    void badSettingsNameTheFlag() {
        assertThatThrownBy(() -> new RollbackJudge(1.5, 200, 0.01)).hasMessageContaining("--rollback-threshold");
        assertThatThrownBy(() -> new RollbackJudge(0.05, 0, 0.01)).hasMessageContaining("--rollback-min-images");
    }
}
