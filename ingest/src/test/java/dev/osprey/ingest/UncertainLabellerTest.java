package dev.osprey.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class UncertainLabellerTest {

    @Test
    void answersKnownIdsWithTheirIndexOnceEach() {
        UncertainLabeller labeller = new UncertainLabeller(0.5);
        for (int i = 0; i < 10; i++) {
            labeller.published("img-" + i, 100 + i, true);
        }

        assertThat(labeller.request("img-3")).isEqualTo(OptionalInt.of(103));
        assertThat(labeller.request("img-7")).isEqualTo(OptionalInt.of(107));
        assertThat(labeller.request("img-3")).as("answered ids are not answered again").isEmpty();

        assertThat(labeller.counts()).isEqualTo(new UncertainLabeller.Counts(3, 2, 1, 0));
    }

    @Test
    void skipsIdsNotPublishedHereOrNotAnswerable() {
        UncertainLabeller labeller = new UncertainLabeller(1.0);
        labeller.published("held-out", 0, false);
        labeller.published("fine", 1, true);

        assertThat(labeller.request("held-out")).isEmpty();
        assertThat(labeller.request("someone-else")).isEmpty();
        assertThat(labeller.request(null)).isEmpty();
        assertThat(labeller.request("fine")).hasValue(1);

        assertThat(labeller.counts()).isEqualTo(new UncertainLabeller.Counts(4, 1, 3, 0));
    }

    @Test
    void neverAnswersMoreThanTheShareOfImagesPublishedSoFar() {
        UncertainLabeller labeller = new UncertainLabeller(0.25);
        for (int i = 0; i < 7; i++) {
            labeller.published("a" + i, i, true);
        }
        // floor(0.25 * 7) = 1 answer so far.
        assertThat(labeller.request("a0")).hasValue(0);
        assertThat(labeller.budgetSpent()).isTrue();
        assertThat(labeller.request("a1")).isEmpty();
        labeller.published("a7", 7, true);
        // 8 published: a second answer; a1 was skipped for the budget but is still known.
        assertThat(labeller.request("a1")).hasValue(1);
        assertThat(labeller.request("a2")).isEmpty();

        assertThat(labeller.counts()).isEqualTo(new UncertainLabeller.Counts(4, 2, 0, 2));
        assertThat(labeller.counts().skipped()).isEqualTo(2);
    }

    @Test
    void unanswerableImagesCountTowardsTheBudgetLikeRandomFeedback() {
        UncertainLabeller labeller = new UncertainLabeller(0.5);
        labeller.published("x", 0, true);
        labeller.published("unlabelled", 1, false);

        assertThat(labeller.request("x")).hasValue(0);
    }

    @Test
    void forgetsTheOldestIdsBeyondItsBound() {
        UncertainLabeller labeller = new UncertainLabeller(1.0, 3);
        for (int i = 0; i < 5; i++) {
            labeller.published("id" + i, i, true);
        }

        assertThat(labeller.remembered()).isEqualTo(3);
        assertThat(labeller.request("id0")).isEmpty();
        assertThat(labeller.request("id1")).isEmpty();
        assertThat(labeller.request("id2")).hasValue(2);
        assertThat(labeller.request("id4")).hasValue(4);
    }

    @Test
    void refusesAShareOutsideZeroToOne() {
        assertThatThrownBy(() -> new UncertainLabeller(0)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> new UncertainLabeller(1.5)).hasMessageContaining("(0, 1]");
    }

    @Test
    void theStrategyParsesItsTwoNamesAndRefusesOthers() {
        assertThat(FeedbackStrategy.parse("Uncertain")).isEqualTo(FeedbackStrategy.UNCERTAIN);
        assertThat(FeedbackStrategy.parse("random")).isEqualTo(FeedbackStrategy.RANDOM);
        assertThatThrownBy(() -> FeedbackStrategy.parse("smart")).hasMessageContaining("random or uncertain");
    }

    @Test
    void theUncertainStrategyNeedsABudget() {
        assertThatThrownBy(() -> IngestOptions.builder("data").feedbackStrategy(FeedbackStrategy.UNCERTAIN)
                .build()).hasMessageContaining("feedback share above 0");
        assertThat(IngestOptions.builder("data").feedback(0.1, java.time.Duration.ZERO)
                .feedbackStrategy(FeedbackStrategy.UNCERTAIN).build().feedbackStrategy())
                .isEqualTo(FeedbackStrategy.UNCERTAIN);
    }
}
