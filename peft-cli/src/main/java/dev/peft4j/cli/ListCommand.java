package dev.peft4j.cli;

import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.EngineAvailability;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PluginProblem;
import dev.peft4j.spi.PluginSection;
import dev.peft4j.spi.Plugins;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j list}: every discovered adapter method, its sub-plugins (MoRA's operators) and engine, with each engine's state. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "List the adapter methods, their sub-plugins and the engines found.")
final class ListCommand implements Callable<Integer> {

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        Plugins plugins = parent.plugins();
        PrintWriter out = spec.commandLine().getOut();
        out.println("Adapters:");
        printRows(out, plugins.adapters().stream().map(ListCommand::row).toList());
        for (AdapterFactory adapter : plugins.adapters()) {
            for (PluginSection section : adapter.subPlugins(plugins)) {
                out.println(section.title() + ":");
                printRows(out, section.rows());
            }
        }
        out.println("Engines:");
        printRows(out, plugins.engines().stream().map(ListCommand::row).toList());
        if (!plugins.problems().isEmpty()) {
            out.println("Plugin problems:");
            printRows(
                    out,
                    plugins.problems().stream().map(PluginProblem::toString).toList());
        }
        out.flush();
        return 0;
    }

    private static void printRows(PrintWriter out, List<String> rows) {
        if (rows.isEmpty()) {
            out.println("  (none)");
        }
        rows.forEach(row -> out.println("  " + row));
    }

    private static String row(AdapterFactory adapter) {
        return String.format("%-12s %s", adapter.name(), adapter.getClass().getName());
    }

    private static String row(EngineBinding engine) {
        EngineAvailability availability = engine.availability();
        if (!availability.usable()) {
            return String.format("%-12s unusable: %s", engine.name(), availability.reason());
        }
        String devices = engine.devices().stream().map(Object::toString).collect(Collectors.joining(", "));
        String library = engine.nativeLibrary()
                .map(path -> String.format("%n  %-12s library: %s", "", path))
                .orElse("");
        return String.format(
                "%-12s usable   %s %s, devices: %s%s",
                engine.name(), engine.djlEngineName(), engine.engine().getVersion(), devices, library);
    }
}
