package dev.osprey.app;

import dev.osprey.core.config.KafkaSettings;
import dev.osprey.core.topic.TopicAdmin;
import dev.osprey.core.dataset.DatasetLocator;
import dev.osprey.core.format.RetrainRequest;
import dev.osprey.trainer.publish.SeedModel;
import dev.osprey.trainer.trigger.RetrainRequests;
import dev.osprey.trainer.trigger.TriggerRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code osprey retrain}: asks the trainer for a run by writing a record on the {@code retrain} topic. */
@Command(name = "retrain", mixinStandardHelpOptions = true,
        description = "Asks the trainer to retrain now: writes a request on the 'retrain' topic. The trainer "
                + "fine-tunes the serving model (or trains afresh with --fresh) and publishes the candidate "
                + "only if it passes the gate; watch 'training-events'.")
final class RetrainCommand implements Callable<Integer> {

    /** The {@code who} that marks a request as coming from this command. */
    static final String WHO = "cli";

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--model", paramLabel = "NAME",
            description = "Model to retrain (default: the name the trainer gives the default dataset, "
                    + "its directory name).")
    String model;

    @Option(names = "--fresh", description = "Train from scratch instead of fine-tuning the serving model.")
    boolean fresh;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs for this run (default: the trainer's).")
    Integer epochs;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "asked from the command line",
            description = "Why, for the training events (default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    public Integer call() {
        if (epochs != null && (epochs < 1 || epochs > 1000)) {
            throw new IllegalArgumentException("--epochs must be in [1, 1000]: " + epochs);
        }
        KafkaSettings settings = kafka.settings();
        String name = model != null ? model : SeedModel.defaultName(DatasetLocator.resolve(null, System.getenv()));
        Map<String, String> options = new LinkedHashMap<>();
        if (fresh) {
            options.put(TriggerRequest.OPTION_FRESH, "true");
        }
        if (epochs != null) {
            options.put(TriggerRequest.OPTION_EPOCHS, Integer.toString(epochs));
        }
        String user = System.getProperty("user.name", "");
        RetrainRequest request = new RetrainRequest(user.isBlank() ? reason : reason + " [" + user + "]", WHO,
                options);
        TopicAdmin.ensureTopics(settings); // never let the producer auto-create 'retrain'
        RecordMetadata m = RetrainRequests.send(settings, name, request);
        System.out.println("asked to retrain " + name + (fresh ? " from scratch" : "") + " (" + m.topic() + "-"
                + m.partition() + "@" + m.offset() + "); follow it on " + settings.topics().trainingEvents());
        return 0;
    }
}
