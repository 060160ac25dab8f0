package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.topic.TopicReader;
import dev.osprey.core.format.Prediction;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code osprey tail}: predictions as readable lines. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Prints the predictions on 'predictions' as readable lines (read_committed).")
final class TailCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N predictions (default: never).")
    Long count;

    @Option(names = "--latest", description = "Start at the end of the topic instead of the beginning.")
    boolean latest;

    @Override
    public Integer call() {
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--count must be positive: " + count);
        }
        KafkaSettings settings = kafka.settings();
        TopicAdmin.requireBroker(settings);
        PrintWriter out = spec.commandLine().getOut();
        long seen = 0;
        try (TopicReader reader = new TopicReader(settings.readerProperties("osprey-tail"))) {
            reader.assignAll(settings.topics().predictions(), TopicAdmin.BROKER_TIMEOUT);
            if (latest) {
                reader.seekToEnd(TopicAdmin.BROKER_TIMEOUT);
            }
            var serde = Prediction.serde();
            while (count == null || seen < count) {
                for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(500))) {
                    out.println(line(serde.fromBytes(r.value())));
                    if (count != null && ++seen >= count) {
                        break;
                    }
                }
            }
            out.flush();
        }
        return 0;
    }

    static String line(Prediction p) {
        String truth = p.truth() == null ? "" : p.correct() ? "  ok" : "  WRONG (truth " + p.truth() + ")";
        return String.format(Locale.ROOT, "%-24s %-14s %6.2f%%  %s:v%d  %d ms%s", p.id(), p.label(),
                p.confidence() * 100, p.model(), p.version(), p.latencyMs(), truth);
    }
}
