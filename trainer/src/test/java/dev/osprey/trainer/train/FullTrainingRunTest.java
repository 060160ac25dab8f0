package dev.osprey.trainer.train;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The full Fashion-MNIST runs of docs/BENCHMARKS.md (training), minutes long, so only on request:
 * {@code mvn -B -o -pl trainer test -Dtest=FullTrainingRunTest -Dosprey.measure="cnn"}; the property
 * holds {@link MeasureTraining}'s arguments, separated by spaces. It prints numbers and asserts nothing.
 */
@Tag("slow")
@EnabledIfSystemProperty(named = "osprey.measure", matches = ".+")
class FullTrainingRunTest {

    @Test
    void measure() throws Exception {
        assumeTrue(FashionMnist.present(), "Fashion-MNIST not found in " + FashionMnist.DIR);
        MeasureTraining.main(System.getProperty("osprey.measure").trim().split("\\s+"));
    }
}
