package dev.peft4j.cli;

import dev.peft4j.spi.PeftException;
import picocli.CommandLine;

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
     * The configured command line: errors in input become a one-line message and status 1.
     *
     * @return the command line
     */
    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Peft4jCommand());
        commandLine.setExecutionExceptionHandler((error, cmd, parseResult) -> {
            if (error instanceof PeftException || error instanceof IllegalArgumentException) {
                cmd.getErr().println("peft4j: " + error.getMessage());
                return 1;
            }
            throw error;
        });
        return commandLine;
    }
}
