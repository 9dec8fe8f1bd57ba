package dev.peft4j.cli;

import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The top-level {@code peft4j} command: global options and the subcommands. */
@Command(
        name = "peft4j",
        mixinStandardHelpOptions = true,
        versionProvider = Peft4jCommand.Version.class,
        description = "Parameter-efficient fine-tuning (LoRA, DoRA, MoRA) for the JVM.",
        subcommands = {
            ListCommand.class,
            InspectCommand.class,
            MergeCommand.class,
            CombineCommand.class,
            AnalyzeCommand.class,
            GenerateCommand.class,
            PerplexityCommand.class,
            FinetuneCommand.class,
            MemorizeCommand.class,
            BenchCommand.class
        })
public final class Peft4jCommand {

    @Option(
            names = "--plugins",
            paramLabel = "DIR",
            description = "A directory of third-party plugin jars to load besides the class path.")
    private Path pluginDirectory;

    /**
     * The plugin registry: the class path, plus {@code --plugins DIR} when given.
     *
     * @return the registry
     */
    public Plugins plugins() {
        return pluginDirectory == null ? Plugins.defaults() : Plugins.load(pluginDirectory);
    }

    /**
     * The paths a subcommand reads and writes, starting with the {@code --plugins} directory when
     * given; the subcommand declares its own and checks them all before any work.
     *
     * @return a new declaration
     */
    public CommandPaths paths() {
        return new CommandPaths().readsDirectory("--plugins", pluginDirectory);
    }

    /** Reads the version from the jar's manifest. */
    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Peft4jCommand.class.getPackage().getImplementationVersion();
            return new String[] {"peft4j " + (version == null ? "(development build)" : version)};
        }
    }
}
