package dev.peft4j.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.ExecutionException;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.TypeConversionException;

/** The {@code peft4j} command's entry point. */
public final class Main {

    private Main() {}

    /**
     * Runs the command and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The configured command line: a failure the user can cause is one line on standard error,
     * status 2 for a bad flag or value ({@link CommandLine.ParameterException}), 1 for anything
     * else ({@link FailureMessage}); a bug keeps its stack trace.
     *
     * @return the command line
     */
    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Peft4jCommand());
        commandLine.registerConverter(Path.class, Main::path);
        commandLine.setExecutionStrategy(parseResult -> {
            try {
                return new RunLast().execute(parseResult);
            } catch (OutOfMemoryError e) {
                CommandLine last = parseResult
                        .asCommandLineList()
                        .get(parseResult.asCommandLineList().size() - 1);
                throw new ExecutionException(last, "Out of memory", e);
            }
        });
        commandLine.setParameterExceptionHandler((error, args) -> {
            CommandLine cmd = error.getCommandLine();
            cmd.getErr()
                    .println("peft4j: " + error.getMessage() + " (see '"
                            + cmd.getCommandSpec().qualifiedName() + " --help')");
            cmd.getErr().flush();
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        commandLine.setExecutionExceptionHandler((error, cmd, parseResult) -> {
            Optional<String> message = FailureMessage.of(error);
            if (message.isEmpty()) {
                throw error;
            }
            cmd.getErr().println("peft4j: " + message.get());
            cmd.getErr().flush();
            return 1;
        });
        return commandLine;
    }

    private static Path path(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new TypeConversionException(FailureMessage.invalidPath(e));
        }
    }
}
