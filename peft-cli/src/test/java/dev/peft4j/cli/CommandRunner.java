package dev.peft4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the peft4j command in-process and captures its output. */
public final class CommandRunner {

    /**
     * What a run printed and returned.
     *
     * @param status the exit status
     * @param out standard output
     * @param err standard error
     */
    public record Result(int status, String out, String err) {}

    private CommandRunner() {}

    /**
     * Runs the command.
     *
     * @param args the command line
     * @return the result
     */
    public static Result run(String... args) {
        var commandLine = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int status = commandLine.execute(args);
        return new Result(status, out.toString(), err.toString());
    }
}
