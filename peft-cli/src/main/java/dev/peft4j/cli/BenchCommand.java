package dev.peft4j.cli;

import dev.peft4j.bench.BenchReport;
import dev.peft4j.bench.BenchSize;
import dev.peft4j.bench.QuickBench;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.StagedDirectory;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j bench}: the quick benchmark. Times the project's performance targets as ratios
 * measured side by side in one process, beside their published anchors, and writes {@code
 * bench-report.json} and {@code bench-report.md}.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Measure the performance targets (merged/base forward, LoRA/FFT step, DoRA/LoRA, MoRA) as ratios.")
public final class BenchCommand implements Callable<Integer> {

    private static final int SOAK_FEATURES = 256;
    private static final int SOAK_TOKENS = 32;
    private static final int MAX_FEATURES = 16_384;
    private static final int MAX_TOKENS = 65_536;
    private static final int MAX_ROUNDS = 100_000;
    private static final int MAX_SOAK_STEPS = 1_000_000;
    private static final Set<String> OUTPUTS = Set.of("bench-report.json", "bench-report.md");

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--out",
            description = "Directory for bench-report.json and bench-report.md, replaced as a unit: a new "
                    + "directory or an earlier run's (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("bench-out");

    @Mixin
    EngineOptions engineOptions;

    @Option(
            names = "--features",
            description = "d = k of the timed layer, 1 to 16,384; the targets are set at ${DEFAULT-VALUE}.")
    int features = 1024;

    @Option(
            names = "--rank",
            description = "The adapters' rank r, 1 to --features; the targets are set at ${DEFAULT-VALUE}.")
    int rank = 8;

    @Option(
            names = "--tokens",
            description = "Rows of the batch, 1 to 65,536; the targets are set at ${DEFAULT-VALUE}.")
    int tokens = 256;

    @Option(
            names = "--rounds",
            description =
                    "The most timed rounds of each pair, within a few seconds per pair, 1 to 100,000 (default: ${DEFAULT-VALUE}).")
    int rounds = QuickBench.Settings.defaults().rounds();

    @Option(
            names = "--soak-steps",
            description =
                    "Train steps of the memory soak, at d=min(256, --features), 2 to 1,000,000 (default: ${DEFAULT-VALUE}).")
    int soakSteps = QuickBench.Settings.defaults().soakSteps();

    @Override
    public Integer call() {
        FlagChecks.inRange(spec, "--features", features, 1, MAX_FEATURES);
        FlagChecks.inRange(spec, "--rank", rank, 1, features);
        FlagChecks.inRange(spec, "--tokens", tokens, 1, MAX_TOKENS);
        FlagChecks.inRange(spec, "--rounds", rounds, 1, MAX_ROUNDS);
        FlagChecks.inRange(spec, "--soak-steps", soakSteps, 2, MAX_SOAK_STEPS);
        parent.paths().replacesDirectory("--out", out, OUTPUTS).check();
        Plugins plugins = parent.plugins();
        QuickBench.Settings defaults = QuickBench.Settings.defaults();
        QuickBench.Settings settings = new QuickBench.Settings(
                new BenchSize(features, rank, tokens),
                defaults.processWarmupSeconds(),
                defaults.warmupSeconds(),
                defaults.warmups(),
                Math.min(defaults.minRounds(), rounds),
                rounds,
                defaults.pairSeconds(),
                new BenchSize(Math.min(SOAK_FEATURES, features), rank, Math.min(SOAK_TOKENS, tokens)),
                soakSteps,
                defaults.tinyOpCalls());
        Backend backend = engineOptions.backend(plugins);
        PrintWriter stdout = spec.commandLine().getOut();
        BenchReport report = QuickBench.run(backend, plugins, settings, line -> {
            stdout.println(line);
            stdout.flush();
        });
        write(report);
        stdout.println();
        stdout.print(report.table());
        stdout.println();
        stdout.print(report.operationTable());
        stdout.printf(
                "%nWrote %s and %s (%.0f s)%n",
                out.resolve("bench-report.json"), out.resolve("bench-report.md"), report.seconds());
        stdout.flush();
        return 0;
    }

    /** Writes both reports as one unit: the old pair stays until the new one is complete. */
    private void write(BenchReport report) {
        try (StagedDirectory staged = StagedDirectory.start(out)) {
            Files.write(
                    staged.path().resolve("bench-report.json"), report.toJson().getBytes(StandardCharsets.UTF_8));
            Files.write(
                    staged.path().resolve("bench-report.md"), report.markdown().getBytes(StandardCharsets.UTF_8));
            staged.commit();
        } catch (IOException e) {
            throw new PeftException("Cannot write the reports into " + out + ": " + e.getMessage(), e);
        }
    }
}
