package dev.osprey.app;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code osprey}: one command, a subcommand per service. */
@Command(name = "osprey",
        mixinStandardHelpOptions = true,
        versionProvider = Versions.class,
        description = "Classifies images streaming through Apache Kafka, learns from feedback, hot-swaps models.",
        subcommands = {
            DemoCommand.class,
            BrokerCommand.class,
            TrainCommand.class,
            ImportCommand.class,
            IngestCommand.class,
            ClassifierCommand.class,
            TrainerCommand.class, RetrainCommand.class,
            TailCommand.class,
            CommandLine.HelpCommand.class
        })
public final class OspreyCommand implements Runnable {

    /** The flag; {@link Main} reads it from the arguments before logging starts. */
    static final String VERBOSE = "--verbose";

    @CommandLine.Option(names = VERBOSE, scope = CommandLine.ScopeType.INHERIT,
            description = "Also log the routine warnings of Kafka and DJL (CUDA probe, controller activation, ...).")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The configured command line: a bad flag prints one line and exits 2; an error while running
     * prints one line (the stack trace only with {@code OSPREY_DEBUG=1}) and exits 1.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new OspreyCommand());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("osprey: " + ex.getMessage() + " (see 'osprey "
                    + subcommandPath(ex.getCommandLine()) + "--help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            err.println("osprey " + cmd.getCommandName() + ": " + Errors.describe(ex));
            if (System.getenv("OSPREY_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl;
    }

    private static String subcommandPath(CommandLine cl) {
        StringBuilder path = new StringBuilder();
        for (CommandLine c = cl; c.getParent() != null; c = c.getParent()) {
            path.insert(0, c.getCommandName() + " ");
        }
        return path.toString();
    }
}
