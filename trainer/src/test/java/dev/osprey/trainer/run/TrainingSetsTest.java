package dev.osprey.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.osprey.core.dataset.Dataset;
import dev.osprey.core.image.RawImage;
import dev.osprey.core.testing.TestModels;
import dev.osprey.trainer.feedback.FeedbackKind;
import dev.osprey.trainer.feedback.HeldOut;
import dev.osprey.trainer.feedback.LabelledExample;
import dev.osprey.trainer.feedback.StoredExample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingSetsTest {

    private static Dataset dataset(String name, int n, int offset) {
        byte[] px = new byte[n * 4];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            px[i * 4] = (byte) (i + offset);
            px[i * 4 + 1] = (byte) ((i + offset) >> 8);
            labels[i] = i % 10;
        }
        return new Dataset(name, 2, 2, 1, px, labels, TestModels.DIGITS);
    }

    private static StoredExample example(String id, int label, byte first) {
        return new StoredExample(id, new LabelledExample(label, FeedbackKind.IMAGE, 0,
                new RawImage(2, 2, 1, new byte[] {first, 1, 2, 3})));
    }

    @Test
    void splitsFeedbackByIdAndMixesItWithTheBase() {
        BaseData base = new BaseData(dataset("train", 1000, 0), dataset("test", 300, 5000));
        List<StoredExample> feedback = new ArrayList<>();
        int train = 0;
        int validation = 0;
        int gate = 0;
        for (int i = 0; i < 200; i++) {
            String id = "fb-" + i;
            feedback.add(example(id, i % 10, (byte) 99));
            switch (HeldOut.role(id, 20)) {
                case TRAIN -> train++;
                case VALIDATION -> validation++;
                case GATE -> gate++;
            }
        }
        TrainingSets sets = TrainingSets.assemble(base, feedback, new GateSettings(20, 0.005, 200, 100),
                new RunSettings(1, 1, java.time.Duration.ofMinutes(1), 500, 0.5, java.time.Duration.ZERO), 1);

        int repeat = TrainingSets.repeats(500, train, 0.5);
        assertThat(sets.train().size()).isEqualTo(500 + train * repeat);
        assertThat(sets.validation().size()).isEqualTo(100 + validation);
        assertThat(sets.gate().size()).isEqualTo(200 + gate);
        assertThat(sets.counts()).containsEntry("feedbackTrain", train).containsEntry("feedbackRepeat", repeat);
    }

    @Test
    void feedbackThatIsAHeldOutTestImageOrUnusableNeverTrains() {
        Dataset test = dataset("test", 30, 5000);
        BaseData base = new BaseData(dataset("train", 100, 0), test);
        String trainId = idWithRole(HeldOut.Role.TRAIN);
        List<StoredExample> feedback = List.of(
                new StoredExample(trainId, new LabelledExample(1, FeedbackKind.IMAGE, 0, test.image(3))),
                example("label-too-big", 10, (byte) 1),
                new StoredExample("huge", new LabelledExample(1, FeedbackKind.IMAGE, 0,
                        new RawImage(40, 2, 1, new byte[80]))));
        TrainingSets sets = TrainingSets.assemble(base, feedback, new GateSettings(20, 0.005, 20, 10),
                new RunSettings(1, 1, java.time.Duration.ofMinutes(1), 100, 0.5, java.time.Duration.ZERO), 1);

        assertThat(sets.train().size()).isEqualTo(100);
        assertThat(sets.counts()).containsEntry("feedbackSameAsTestImage", 1).containsEntry("feedbackUnusable", 2);
    }

    @Test
    void repeatsFeedbackUpToTheShareWithinBounds() {
        assertThat(TrainingSets.repeats(1000, 0, 0.5)).isZero();
        assertThat(TrainingSets.repeats(1000, 100, 0.5)).isEqualTo(10);
        assertThat(TrainingSets.repeats(1000, 10, 0.5)).isEqualTo(RunSettings.MAX_REPEAT);
        assertThat(TrainingSets.repeats(1000, 5000, 0.5)).isEqualTo(1);
        assertThat(TrainingSets.repeats(0, 5, 0.5)).isEqualTo(1);
    }

    @Test
    void aSmallTestSplitIsSharedInProportion() {
        assertThat(TrainingSets.testSlices(10_000, GateSettings.defaults())).containsExactly(2000, 1000);
        assertThat(TrainingSets.testSlices(300, GateSettings.defaults())).containsExactly(200, 100);
    }

    private static String idWithRole(HeldOut.Role role) {
        for (int i = 0; ; i++) {
            if (HeldOut.role("id-" + i, 20) == role) {
                return "id-" + i;
            }
        }
    }
}
