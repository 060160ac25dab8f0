package dev.osprey.trainer.shadow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ShadowJudgeTest {

    private final ShadowJudge judge = new ShadowJudge(200, 2000, 0.01);

    @Test
    void noVerdictBeforeTheMinimumPairs() {
        assertThat(judge.judge(1, 2, 0, 150, 40, 199)).isEmpty();
    }

    @Test
    void promotesAChallengerThatIsRightWhereTheChampionIsWrongMuchMoreOften() {
        // 60 images only the challenger got right, 20 only the champion: z = 39/sqrt(80) = 4.36
        var e = judge.judge(1, 2, 20, 60, 600, 700).orElseThrow();
        assertThat(e.verdict()).isEqualTo(ShadowJudge.Verdict.PROMOTE);
        assertThat(e.z()).isCloseTo(39 / Math.sqrt(80), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(e.pValue()).isLessThan(0.01);
        assertThat(e.challengerAccuracy()).isGreaterThan(e.championAccuracy());
        assertThat(e.toMap()).containsEntry("challengerOnlyRight", 60L).containsEntry("pairs", 700L);
    }

    @Test
    void aSmallEdgeIsNotEnoughUntilTheCapRetiresIt() {
        // 33 vs 27: z = 5/sqrt(60) = 0.65, far from significant
        assertThat(judge.judge(1, 2, 27, 33, 800, 900)).isEmpty();
        var e = judge.judge(1, 2, 27, 33, 1800, 2000).orElseThrow();
        assertThat(e.verdict()).isEqualTo(ShadowJudge.Verdict.RETIRE);
        assertThat(e.reason()).contains("not shown better");
    }

    @Test
    void retiresAWorseChallengerEarly() {
        var e = judge.judge(3, 4, 70, 10, 500, 600).orElseThrow();
        assertThat(e.verdict()).isEqualTo(ShadowJudge.Verdict.RETIRE);
        assertThat(e.describe()).contains("worse").contains("v4").contains("v3");
    }

    @Test
    void identicalModelsAreNeverPromoted() {
        assertThat(judge.judge(1, 2, 0, 0, 1500, 1999)).isEmpty();
        assertThat(judge.judge(1, 2, 0, 0, 1500, 2000).orElseThrow().verdict())
                .isEqualTo(ShadowJudge.Verdict.RETIRE);
    }

    @Test
    void refusesSettingsThatMakeNoSense() {
        assertThatThrownBy(() -> new ShadowJudge(0, 10, 0.01)).hasMessageContaining("shadow-min-images");
        assertThatThrownBy(() -> new ShadowJudge(100, 10, 0.01)).hasMessageContaining("shadow-max-images");
        assertThatThrownBy(() -> new ShadowJudge(10, 100, 0.7)).hasMessageContaining("alpha");
    }
}
