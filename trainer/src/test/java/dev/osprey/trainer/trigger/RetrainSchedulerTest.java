package dev.osprey.trainer.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetrainSchedulerTest {

    private final List<TriggerRequest> runs = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch firstRunStarted = new CountDownLatch(1);

    /** A runner whose first run blocks until released, so the test controls "during a run". */
    private void run(TriggerRequest r) {
        runs.add(r);
        firstRunStarted.countDown();
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void triggersInTheCoalescingDelayMakeOneRun() {
        try (RetrainScheduler s = new RetrainScheduler(this::run, Duration.ofMillis(300))) {
            release.countDown();
            assertThat(s.submit(TriggerRequest.of(TriggerSource.HTTP, "a"))).isEqualTo(TriggerSink.Submission.SCHEDULED);
            assertThat(s.submit(TriggerRequest.of(TriggerSource.CLI, "b"))).isEqualTo(TriggerSink.Submission.MERGED);

            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 1);
            assertThat(runs).hasSize(1);
            assertThat(runs.get(0).source()).isEqualTo(TriggerSource.HTTP);
            assertThat(runs.get(0).reasons()).containsExactly("a", "b");
        }
    }

    @Test
    void triggersDuringARunQueueExactlyOneMoreRun() throws Exception {
        try (RetrainScheduler s = new RetrainScheduler(this::run, Duration.ZERO)) {
            s.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "first"));
            assertThat(firstRunStarted.await(10, TimeUnit.SECONDS)).isTrue();

            assertThat(s.submit(TriggerRequest.of(TriggerSource.HTTP, "x"))).isEqualTo(TriggerSink.Submission.QUEUED);
            assertThat(s.submit(new TriggerRequest(TriggerSource.LIVE_ACCURACY, List.of("y"), true,
                    java.util.Optional.of(7), java.time.Instant.now()))).isEqualTo(TriggerSink.Submission.COALESCED);
            assertThat(s.submit(TriggerRequest.of(TriggerSource.CLI, "z"))).isEqualTo(TriggerSink.Submission.COALESCED);
            assertThat(s.state().pending()).isTrue();
            release.countDown();

            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 2);
            assertThat(runs).hasSize(2);
            TriggerRequest second = runs.get(1);
            assertThat(second.source()).isEqualTo(TriggerSource.HTTP);
            assertThat(second.reasons()).containsExactly("x", "y", "z");
            assertThat(second.fresh()).isTrue();
            assertThat(second.epochs()).contains(7);
            assertThat(s.state().running()).isFalse();
        }
    }

    @Test
    void closingInterruptsTheRunDropsThePendingOneAndRefusesMore() throws Exception {
        RetrainScheduler s = new RetrainScheduler(this::run, Duration.ZERO);
        s.submit(TriggerRequest.of(TriggerSource.HTTP, "first"));
        assertThat(firstRunStarted.await(10, TimeUnit.SECONDS)).isTrue();
        s.submit(TriggerRequest.of(TriggerSource.HTTP, "pending"));

        s.close();

        assertThat(runs).hasSize(1);
        assertThat(s.submit(TriggerRequest.of(TriggerSource.HTTP, "late"))).isEqualTo(TriggerSink.Submission.CLOSED);
    }

    @Test
    void closingWithGraceLetsTheRunInFlightFinish() throws Exception {
        List<Boolean> interrupted = new CopyOnWriteArrayList<>();
        RetrainScheduler s = new RetrainScheduler(r -> {
            firstRunStarted.countDown();
            try {
                Thread.sleep(500);
                interrupted.add(false);
            } catch (InterruptedException e) {
                interrupted.add(true);
            }
        }, Duration.ZERO);
        s.submit(TriggerRequest.of(TriggerSource.HTTP, "first"));
        assertThat(firstRunStarted.await(10, TimeUnit.SECONDS)).isTrue();

        s.close(Duration.ofSeconds(30));

        assertThat(interrupted).containsExactly(false);
        assertThat(s.state().runsFinished()).isEqualTo(1);
    }

    @Test
    void aRunnerThatThrowsDoesNotStopTheScheduler() {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RetrainScheduler s = new RetrainScheduler(r -> {
            seen.add(r.describe());
            throw new IllegalStateException("boom");
        }, Duration.ZERO)) {
            s.submit(TriggerRequest.of(TriggerSource.HTTP, "one"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 1);
            s.submit(TriggerRequest.of(TriggerSource.HTTP, "two"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 2);
            assertThat(seen).containsExactly("one", "two");
        }
    }

    @Test
    void aRunnerThatThrowsAnErrorDoesNotBlockLaterTriggers() {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (RetrainScheduler s = new RetrainScheduler(r -> {
            seen.add(r.describe());
            if (seen.size() == 1) {
                throw new OutOfMemoryError("test: training ran out of memory");
            }
        }, Duration.ZERO)) {
            s.submit(TriggerRequest.of(TriggerSource.HTTP, "one"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 1);
            assertThat(s.state().running()).isFalse();

            assertThat(s.submit(TriggerRequest.of(TriggerSource.HTTP, "two")))
                    .isEqualTo(TriggerSink.Submission.SCHEDULED);
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 2);
            assertThat(seen).containsExactly("one", "two");
        }
    }

    @Test
    void aTriggerSoonerThanTheMinimumIntervalWaitsForIt() {
        AtomicLong feedback = new AtomicLong(100);
        try (RetrainScheduler s = new RetrainScheduler(runs::add, Duration.ZERO, Duration.ofHours(1), feedback::get)) {
            s.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "first"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 1);
            Instant firstDone = Instant.now();
            feedback.addAndGet(500);

            assertThat(s.submit(TriggerRequest.of(TriggerSource.HTTP, "asked"))).isEqualTo(TriggerSink.Submission.SCHEDULED);

            RetrainScheduler.State state = s.state();
            assertThat(state.scheduled()).isTrue();
            assertThat(state.nextRun()).hasValueSatisfying(at ->
                    assertThat(at).isAfter(firstDone.plus(Duration.ofMinutes(59))));
            assertThat(runs).extracting(TriggerRequest::describe).containsExactly("first");
        }
    }

    @Test
    void runsFollowEachOtherNoSoonerThanTheInterval() {
        AtomicLong feedback = new AtomicLong();
        List<Long> starts = new CopyOnWriteArrayList<>();
        Duration interval = Duration.ofMillis(400);
        try (RetrainScheduler s = new RetrainScheduler(r -> starts.add(System.nanoTime()), Duration.ZERO, interval,
                feedback::get)) {
            for (int i = 1; i <= 3; i++) {
                feedback.addAndGet(10);
                s.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "batch " + i));
                int done = i;
                await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == done);
            }
            assertThat(starts).hasSize(3);
            // The scheduler takes a run's start time just before it calls the runner, which stamps
            // its own a little later; on a busy machine the two can be some ms apart, and when the
            // earlier run's stamp is the later one the gap seen here shrinks by that much. 50 ms of
            // slack keeps the check meaningful (a run started early would be ~400 ms too soon).
            long slack = Duration.ofMillis(50).toNanos();
            for (int i = 1; i < starts.size(); i++) {
                assertThat(starts.get(i) - starts.get(i - 1)).isGreaterThanOrEqualTo(interval.toNanos() - slack);
            }
        }
    }

    @Test
    void anAutomaticTriggerWithoutNewFeedbackSinceTheLastRunIsSkippedButAnAskedRunIsNot() {
        AtomicLong feedback = new AtomicLong(500);
        try (RetrainScheduler s = new RetrainScheduler(runs::add, Duration.ZERO, Duration.ZERO, feedback::get)) {
            s.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "500 new"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 1);

            s.submit(TriggerRequest.of(TriggerSource.LIVE_ACCURACY, "still low"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsSkipped() == 1);
            s.submit(TriggerRequest.of(TriggerSource.CLI, "a person asked"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 2);
            feedback.incrementAndGet();
            s.submit(TriggerRequest.of(TriggerSource.LIVE_ACCURACY, "low again, one new example"));
            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 3);

            assertThat(runs).extracting(TriggerRequest::describe)
                    .containsExactly("500 new", "a person asked", "low again, one new example");
            assertThat(s.state().runsSkipped()).isEqualTo(1);
        }
    }

    @Test
    void aPendingRunAskedForDuringARunIsNotSkippedForWantOfFeedback() throws Exception {
        AtomicLong feedback = new AtomicLong(500);
        try (RetrainScheduler s = new RetrainScheduler(this::run, Duration.ZERO, Duration.ZERO, feedback::get)) {
            s.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "first"));
            assertThat(firstRunStarted.await(10, TimeUnit.SECONDS)).isTrue();
            s.submit(TriggerRequest.of(TriggerSource.FEEDBACK_COUNT, "automatic"));
            s.submit(TriggerRequest.of(TriggerSource.HTTP, "asked"));
            release.countDown();

            await().atMost(Duration.ofSeconds(10)).until(() -> s.state().runsFinished() == 2);
            assertThat(runs.get(1).reasons()).containsExactly("automatic", "asked");
            assertThat(s.state().runsSkipped()).isZero();
        }
    }
}
