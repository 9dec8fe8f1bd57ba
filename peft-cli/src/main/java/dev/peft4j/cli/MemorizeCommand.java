package dev.peft4j.cli;

import ai.djl.Device;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.StagedDirectory;
import dev.peft4j.experiments.memorize.AccuracyChart;
import dev.peft4j.experiments.memorize.MemorizeReport;
import dev.peft4j.experiments.memorize.MemorizeRun;
import dev.peft4j.experiments.memorize.MemorizeSettings;
import dev.peft4j.experiments.memorize.PretrainedMemorizeRun;
import dev.peft4j.experiments.memorize.RunProgress;
import dev.peft4j.experiments.memorize.RunResult;
import dev.peft4j.experiments.memorize.RunSpec;
import dev.peft4j.experiments.memorize.UuidPairs;
import dev.peft4j.models.ModelConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j memorize}: the MoRA paper's memorization experiment (§3, Table 2) at laptop scale.
 * Each method learns N random UUID → UUID pairs at the same trainable-parameter budget; the table,
 * {@code report.json}, {@code report.md} and {@code curves.png} show how far each gets.
 *
 * <p>Without {@code --model} the pairs are learned by a small synthetic network ({@link MemorizeRun});
 * with {@code --model DIR} by a pretrained causal language model, as key → value text, the way the
 * paper does it ({@link PretrainedMemorizeRun}). The experiment itself is the {@code
 * peft-experiments} library; this command reads its flags and writes its report.
 */
@Command(
        name = "memorize",
        mixinStandardHelpOptions = true,
        description =
                "Reproduce the MoRA paper's UUID memorization experiment: LoRA vs MoRA vs DoRA vs full fine-tuning.")
public final class MemorizeCommand implements Callable<Integer> {

    private static final float FALLBACK_LEARNING_RATE = 1e-2f;
    /** The most UUID pairs. */
    static final int MAX_PAIRS = 200_000;
    /** The widest synthetic network. */
    static final int MAX_HIDDEN = 8192;
    /** The most steps per run. */
    static final int MAX_STEPS = 10_000_000;
    /** The most pairs per step. */
    static final int MAX_BATCH = 65_536;
    /** The highest rank. */
    static final int MAX_RANK = 4096;
    /** With --model, the subdirectory of --out that holds each run's trained adapter. */
    static final String ADAPTERS = "adapters";

    /** What the command writes into {@code --out}, which it replaces as a whole. */
    static final Set<String> OUTPUTS = Set.of("report.json", "report.md", "curves.png", ADAPTERS);

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description =
                    "A pretrained causal LM directory (config.json, model.safetensors, tokenizer.json) to memorize "
                            + "the pairs on as key → value text (default: a synthetic network).")
    Path model;

    @Option(names = "--pairs", description = "Number of UUID pairs, 1 to 200,000 (default: 384; with --model: 32).")
    Integer pairs;

    @Option(
            names = "--rank",
            split = ",",
            description =
                    "LoRA rank(s) setting the parameter budget, each 1 to 4096 and given once (default: ${DEFAULT-VALUE}).")
    List<Integer> ranks = new ArrayList<>(List.of(8));

    @Option(
            names = "--steps",
            description = "Training steps per run, 1 to 10,000,000 (default: 1500; with --model: 200).")
    Integer steps;

    @Option(names = "--batch", description = "Pairs per step, 1 to 65,536 (default: 64; with --model: 8).")
    Integer batch;

    @Option(
            names = "--hidden",
            description =
                    "Hidden width of the synthetic network, 1 to 8192; not with --model (default: ${DEFAULT-VALUE}).")
    int hidden = 512;

    @Option(
            names = "--lr",
            paramLabel = "METHOD=VALUE",
            description =
                    "Learning rate of a method, finite and above 0, "
                            + "repeatable (defaults: fft=1e-3, lora=3e-3, dora=mora=1e-2; with --model: fft=1e-3, lora=mora=5e-3, dora=3e-3).")
    Map<String, Float> learningRates = new LinkedHashMap<>();

    @Option(names = "--methods", split = ",", description = "Methods to run, each once (default: ${DEFAULT-VALUE}).")
    List<String> methods = new ArrayList<>(RunSpec.DEFAULT_METHODS);

    @Option(
            names = "--operator",
            description = "MoRA operator (default: rotation for rank ≤ 32, sharing above, as the paper advises).")
    String operator;

    @Mixin
    EngineOptions engineOptions;

    @Option(
            names = "--seed",
            description = "Seed of the pairs, the initial weights (the synthetic network, adapters) "
                    + "and the batch order (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(
            names = "--out",
            description =
                    "Directory for report.json, report.md and curves.png, replaced as a unit: a new directory or an "
                            + "earlier run's (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("memorize-out");

    @Override
    public Integer call() {
        boolean pretrained = model != null;
        checkFlags(pretrained);
        parent.paths()
                .readsDirectory("--model", model)
                .replacesDirectory("--out", out, OUTPUTS)
                .check();
        Plugins plugins = parent.plugins();
        List<RunSpec> runs = plan(
                plugins,
                pretrained ? PretrainedMemorizeRun.DEFAULT_LEARNING_RATES : MemorizeRun.DEFAULT_LEARNING_RATES);
        MemorizeSettings settings = new MemorizeSettings(
                pairs != null ? pairs : pretrained ? PretrainedMemorizeRun.DEFAULT_PAIRS : MemorizeRun.DEFAULT_PAIRS,
                pretrained ? ModelConfig.read(model).hiddenSize() : hidden,
                steps != null ? steps : pretrained ? PretrainedMemorizeRun.DEFAULT_STEPS : MemorizeRun.DEFAULT_STEPS,
                batch != null ? batch : pretrained ? PretrainedMemorizeRun.DEFAULT_BATCH : MemorizeRun.DEFAULT_BATCH,
                seed);
        Backend backend = engineOptions.backend(plugins);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(
                "Memorizing %,d UUID pairs %son %s: %d run%s of %d steps%n",
                settings.pairs(),
                pretrained ? "with " + model + " " : "",
                backend,
                runs.size(),
                runs.size() == 1 ? "" : "s",
                settings.steps());
        stdout.flush();
        UuidPairs data = UuidPairs.generate(settings.pairs(), seed);
        boolean interactive = System.console() != null;
        RunProgress progress = (label, total) -> new ProgressBar(System.err, label, total, interactive)::update;
        List<RunResult> results = new ArrayList<>();
        MemorizeReport report;
        // one staging directory for the whole output: the adapters (with --model) are trained into it
        try (StagedDirectory staged = StagedDirectory.start(out)) {
            Function<RunSpec, RunResult> runner = pretrained
                    ? new PretrainedMemorizeRun(
                            model,
                            settings,
                            data,
                            backend,
                            plugins,
                            progress,
                            staged.path().resolve(ADAPTERS))::run
                    : new MemorizeRun(settings, data, backend, plugins, progress)::run;
            for (RunSpec run : runs) {
                RunResult result = runner.apply(run);
                result.divergence().ifPresent(note -> {
                    spec.commandLine().getErr().println(System.lineSeparator() + "peft4j: " + note);
                    spec.commandLine().getErr().flush();
                });
                results.add(result);
            }
            report = new MemorizeReport(
                    "memorize",
                    settings.pairs(),
                    seed,
                    backend.engine().name(),
                    deviceName(backend),
                    pretrained ? model.toString() : null,
                    settings.hidden(),
                    settings.steps(),
                    settings.batch(),
                    results);
            write(report, staged);
        }
        stdout.println();
        stdout.print(report.table());
        stdout.printf(
                "%nWrote %s, %s and %s%s%n",
                out.resolve("report.json"),
                out.resolve("report.md"),
                out.resolve("curves.png"),
                pretrained ? ", and each run's adapter under " + out.resolve(ADAPTERS) : "");
        stdout.flush();
        return 0;
    }

    /** Every flag value, before anything is read or created. */
    private void checkFlags(boolean pretrained) {
        if (pretrained && spec.commandLine().getParseResult().hasMatchedOption("--hidden")) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--hidden " + hidden + " sets the width of the synthetic " + "network; with --model " + model
                            + " the width is the model's own: drop --hidden");
        }
        if (pairs != null) {
            FlagChecks.inRange(spec, "--pairs", pairs, 1, MAX_PAIRS);
        }
        if (steps != null) {
            FlagChecks.inRange(spec, "--steps", steps, 1, MAX_STEPS);
        }
        if (batch != null) {
            FlagChecks.inRange(spec, "--batch", batch, 1, MAX_BATCH);
        }
        FlagChecks.inRange(spec, "--hidden", hidden, 1, MAX_HIDDEN);
        for (int rank : ranks) {
            FlagChecks.inRange(spec, "--rank", rank, 1, MAX_RANK);
        }
        FlagChecks.distinct(spec, "--rank", ranks);
        FlagChecks.distinct(spec, "--methods", methods);
        learningRates.forEach((method, rate) -> FlagChecks.positiveFinite(spec, "--lr " + method, rate));
    }

    /** Writes the report, the chart and the table as one unit: the old set stays until the new one is complete. */
    private void write(MemorizeReport report, StagedDirectory staged) {
        try {
            Files.write(staged.path().resolve("report.json"), report.toJson().getBytes(StandardCharsets.UTF_8));
            Files.write(staged.path().resolve("curves.png"), AccuracyChart.png(report));
            Files.write(
                    staged.path().resolve("report.md"),
                    report.markdown("curves.png").getBytes(StandardCharsets.UTF_8));
            staged.commit();
        } catch (IOException e) {
            throw new PeftException("Cannot write the report into " + out + ": " + e.getMessage(), e);
        }
    }

    /** The runs: fft once, every other method at every rank; validates names and ranks first. */
    List<RunSpec> plan(Plugins plugins, Map<String, Float> defaultLearningRates) {
        TreeSet<String> available = new TreeSet<>();
        available.add(RunSpec.FFT);
        plugins.adapters().forEach(factory -> available.add(factory.name()));
        for (String method : methods) {
            if (!available.contains(method)) {
                throw new ParameterException(
                        spec.commandLine(), "Unknown method '" + method + "'. Available: " + available);
            }
        }
        for (String method : learningRates.keySet()) {
            if (!available.contains(method)) {
                throw new ParameterException(
                        spec.commandLine(), "--lr names unknown method '" + method + "'. Available: " + available);
            }
        }
        List<RunSpec> runs = RunSpec.plan(
                methods,
                ranks,
                method -> learningRates.getOrDefault(
                        method, defaultLearningRates.getOrDefault(method, FALLBACK_LEARNING_RATE)),
                operator);
        if (operator != null && runs.stream().noneMatch(run -> operator.equals(run.operator()))) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--operator " + operator + " is set but none of the methods " + methods + " takes an operator");
        }
        for (RunSpec run : runs) {
            if (!RunSpec.FFT.equals(run.method())) {
                plugins.adapter(run.method()).check(run.adapterConfig(), plugins);
            }
        }
        return runs;
    }

    private static String deviceName(Backend backend) {
        Device device = backend.device();
        return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
    }
}
