package dev.peft4j.cli;

import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.spi.Plugins;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j inspect DIR}: describes a PEFT adapter directory ({@link AdapterDescription}).
 * Inconsistencies are reported and the status is still 0; a directory or file that cannot be read
 * is an error (status 1).
 */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = "Describe a PEFT adapter directory: method, r, α and scaling, the adapted modules with their "
                + "tensor shapes and parameter counts, and every inconsistency found.")
final class InspectCommand implements Callable<Integer> {

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Parameters(
            paramLabel = "DIR",
            description = "The adapter directory (adapter_config.json, adapter_model.safetensors).")
    private Path directory;

    @Override
    public Integer call() {
        parent.paths().readsDirectory("DIR", directory).check();
        PrintWriter out = spec.commandLine().getOut();
        Plugins plugins = parent.plugins();
        try (AdapterDirectory adapter = AdapterDirectory.open(directory, plugins)) {
            out.print(AdapterDescription.of(adapter, plugins));
        }
        out.flush();
        return 0;
    }
}
