package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.AdapterCombination;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PeftConfigFile;
import dev.peft4j.spi.PeftException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j combine}: a weighted combination of LoRA adapters as a new PEFT adapter ({@link AdapterCombination}). */
@Command(
        name = "combine",
        mixinStandardHelpOptions = true,
        description =
                "Combine LoRA adapters into a new PEFT adapter, as PEFT's add_weighted_adapter does: linear (equal"
                        + " ranks), cat (ranks add up; exactly the weighted sum of the updates) or svd (the best rank-R"
                        + " approximation of the weighted sum).")
final class CombineCommand implements Callable<Integer> {

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--adapter",
            required = true,
            paramLabel = "DIR",
            description = "An adapter directory; repeat it, one per adapter.")
    private List<Path> adapters = new ArrayList<>();

    @Option(
            names = "--weights",
            split = ",",
            paramLabel = "W",
            description = "One weight per adapter, in the order given (default: 1 each).")
    private List<Double> weights = new ArrayList<>();

    @Option(
            names = "--type",
            defaultValue = "svd",
            paramLabel = "TYPE",
            description = "linear, cat or svd (default: svd).")
    private String type;

    @Option(
            names = "--rank",
            paramLabel = "R",
            description = "The rank of an svd combination (default: the largest rank of the adapters).")
    private Integer rank;

    @Option(
            names = "--base",
            paramLabel = "BASE",
            description = "The base weights (a safetensors file or a model directory with model.safetensors): with"
                    + " --type svd, combines adapters of any method (DoRA, MoRA) through their ΔW.")
    private Path base;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "The adapter directory to write (replaced as a whole when it holds an earlier result).")
    private Path out;

    @Mixin
    private EngineOptions engineOptions;

    @Override
    public Integer call() {
        AdapterCombination.Type combination = AdapterCombination.Type.of(type);
        if (!weights.isEmpty() && weights.size() != adapters.size()) {
            throw new PeftException("--weights gives " + weights.size() + " weight" + (weights.size() == 1 ? "" : "s")
                    + " for " + adapters.size() + " adapters: give one per --adapter");
        }
        if (rank != null && combination != AdapterCombination.Type.SVD) {
            throw new PeftException("--rank is for --type svd; " + type + " sets the rank itself");
        }
        CommandPaths paths = parent.paths();
        adapters.forEach(adapter -> paths.readsDirectory("--adapter", adapter));
        if (base != null) {
            if (combination != AdapterCombination.Type.SVD) {
                throw new PeftException("--base is for --type svd; " + type + " combines LoRA factors");
            }
            paths.readsFileOrDirectory("--base", base);
        }
        paths.replacesDirectory("--out", out, Set.of(PeftConfigFile.FILE_NAME, AdapterDirectory.WEIGHTS_FILE))
                .check();
        List<AdapterCombination.Source> sources = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            sources.add(new AdapterCombination.Source(adapters.get(i), weights.isEmpty() ? 1 : weights.get(i)));
        }
        Backend backend = engineOptions.backend(parent.plugins());
        AdapterCombination.Summary summary;
        try (NDManager manager = backend.newManager()) {
            summary = AdapterCombination.combine(sources, combination, rank, base, out, parent.plugins(), manager);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(
                Locale.ROOT,
                "Wrote %s: %s of %d adapter%s, %d module%s, r = %d%n",
                out,
                combination.name().toLowerCase(Locale.ROOT),
                adapters.size(),
                adapters.size() == 1 ? "" : "s",
                summary.modules(),
                summary.modules() == 1 ? "" : "s",
                summary.rank());
        stdout.flush();
        return 0;
    }
}
