package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.ModelMerge;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.spi.Plugins;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j merge}: merges a PEFT adapter into a model's safetensors file ({@link StreamingMerge}). */
@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        description =
                "Merge a PEFT adapter (LoRA, DoRA, MoRA) into base weights stored as Hugging Face stores a model, "
                        + "tensor by tensor: one safetensors file into a new file, or a model directory (single file or sharded) "
                        + "into a new model directory.")
final class MergeCommand implements Callable<Integer> {

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--base",
            required = true,
            paramLabel = "BASE",
            description = "The base weights: a .safetensors file, a model directory (model.safetensors, or shards with "
                    + "model.safetensors.index.json), or the .json index of a sharded checkpoint.")
    private Path base;

    @Option(
            names = "--adapter",
            required = true,
            paramLabel = "DIR",
            description = "The adapter directory (adapter_config.json, adapter_model.safetensors).")
    private Path adapter;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "OUT",
            description =
                    "The merged weights to write (atomically; never the base): a file for a file, a new directory for a "
                            + "model directory or an index, holding the merged shards, the index and the model's other files.")
    private Path out;

    @Option(
            names = "--prefix-map",
            paramLabel = "FROM=TO",
            description = "Rewrite the adapter's module paths into the base's names by prefix, for example "
                    + "transformer= (strip) or =model (add); repeatable, the first matching rule applies.")
    private List<String> prefixMap = new ArrayList<>();

    @Mixin
    private EngineOptions engineOptions;

    @Override
    public Integer call() {
        PathMap pathMap = PathMap.parse(prefixMap);
        CommandPaths paths = parent.paths().readsFileOrDirectory("--base", base).readsDirectory("--adapter", adapter);
        boolean modelDirectory =
                Files.isDirectory(base) || base.getFileName().toString().endsWith(".json");
        (modelDirectory ? paths.writesNewDirectory("--out", out) : paths.writesFile("--out", out)).check();
        Plugins plugins = parent.plugins();
        StreamingMerge.Options options = new StreamingMerge.Options(pathMap, plugins);
        Backend backend = engineOptions.backend(plugins);
        long start = System.nanoTime();
        StreamingMerge.Summary summary;
        try (NDManager manager = backend.newManager()) {
            summary = modelDirectory
                    ? ModelMerge.merge(base, adapter, out, manager, options)
                    : StreamingMerge.merge(base, adapter, out, manager, options);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(
                Locale.ROOT,
                "Wrote %s: %d weight%s merged, %d tensor%s replaced, %d copied unchanged (%.1f s, %s)%n",
                out,
                summary.merged(),
                summary.merged() == 1 ? "" : "s",
                summary.replaced(),
                summary.replaced() == 1 ? "" : "s",
                summary.copied(),
                seconds,
                backend);
        stdout.flush();
        return 0;
    }
}
