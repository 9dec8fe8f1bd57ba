package dev.peft4j.cli;

import dev.peft4j.bench.BenchReport;
import dev.peft4j.bench.BenchSize;
import dev.peft4j.bench.QuickBench;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.AtomicFile;
import dev.peft4j.spi.Plugins;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
        description = "Measure the performance targets (merged/base forward, LoRA/FFT step, DoRA/LoRA, MoRA) as ratios.")
public final class BenchCommand implements Callable<Integer> {

    private static final int SOAK_FEATURES = 256;
    private static final int SOAK_TOKENS = 32;

    @ParentCommand private Peft4jCommand parent;

    @Spec private CommandSpec spec;

    @Option(names = "--out", description = "Directory for bench-report.json and bench-report.md (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("bench-out");

    @Option(names = "--engine", description = "auto, pytorch or mxnet (default: auto).")
    String engine;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: auto).")
    String device;

    @Option(names = "--features", description = "d = k of the timed layer; the targets are set at ${DEFAULT-VALUE}.")
    int features = 1024;

    @Option(names = "--rank", description = "The adapters' rank r; the targets are set at ${DEFAULT-VALUE}.")
    int rank = 8;

    @Option(names = "--tokens", description = "Rows of the batch; the targets are set at ${DEFAULT-VALUE}.")
    int tokens = 256;

    @Option(names = "--rounds", description = "The most timed rounds of each pair, within a few seconds per pair (default: ${DEFAULT-VALUE}).")
    int rounds = QuickBench.Settings.defaults().rounds();

    @Option(names = "--soak-steps", description = "Train steps of the memory soak, at d=min(256, --features) (default: ${DEFAULT-VALUE}).")
    int soakSteps = QuickBench.Settings.defaults().soakSteps();

    @Override
    public Integer call() {
        Plugins plugins = parent.plugins();
        QuickBench.Settings defaults = QuickBench.Settings.defaults();
        QuickBench.Settings settings = new QuickBench.Settings(
                new BenchSize(features, rank, tokens),
                defaults.warmups(),
                Math.min(defaults.minRounds(), rounds),
                rounds,
                defaults.pairSeconds(),
                new BenchSize(Math.min(SOAK_FEATURES, features), rank, Math.min(SOAK_TOKENS, tokens)),
                soakSteps,
                defaults.tinyOpCalls());
        OutputDirectory.prepare(out);
        Backend backend = Backend.select(engine, device, plugins);
        PrintWriter stdout = spec.commandLine().getOut();
        BenchReport report = QuickBench.run(backend, plugins, settings, line -> {
            stdout.println(line);
            stdout.flush();
        });
        AtomicFile.write(out.resolve("bench-report.json"), report.toJson().getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(out.resolve("bench-report.md"), report.markdown().getBytes(StandardCharsets.UTF_8));
        stdout.println();
        stdout.print(report.table());
        stdout.println();
        stdout.print(report.operationTable());
        stdout.printf("%nWrote %s and %s (%.0f s)%n", out.resolve("bench-report.json"), out.resolve("bench-report.md"), report.seconds());
        stdout.flush();
        return 0;
    }
}
