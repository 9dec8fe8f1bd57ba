package dev.peft4j.cli.memorize;

import ai.djl.Device;
import dev.peft4j.cli.OutputDirectory;
import dev.peft4j.cli.Peft4jCommand;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.AtomicFile;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j memorize}: the MoRA paper's memorization experiment (§3, Table 2) at laptop scale.
 * Each method learns N random UUID → UUID pairs at the same trainable-parameter budget; the table,
 * {@code report.json}, {@code report.md} and {@code curves.png} show how far each gets.
 */
@Command(
        name = "memorize",
        mixinStandardHelpOptions = true,
        description = "Reproduce the MoRA paper's UUID memorization experiment: LoRA vs MoRA vs DoRA vs full fine-tuning.")
public final class MemorizeCommand implements Callable<Integer> {

    /** The learning rates found by a small search (see the README). */
    static final Map<String, Float> DEFAULT_LEARNING_RATES = Map.of("fft", 1e-3f, "lora", 3e-3f, "dora", 1e-2f, "mora", 1e-2f);
    private static final float FALLBACK_LEARNING_RATE = 1e-2f;
    private static final int ROTATION_UP_TO_RANK = 32;

    @ParentCommand private Peft4jCommand parent;

    @Spec private CommandSpec spec;

    @Option(names = "--pairs", description = "Number of UUID pairs (default: ${DEFAULT-VALUE}).")
    int pairs = 384;

    @Option(names = "--rank", split = ",", description = "LoRA rank(s) setting the parameter budget (default: ${DEFAULT-VALUE}).")
    List<Integer> ranks = new ArrayList<>(List.of(8));

    @Option(names = "--steps", description = "Training steps per run (default: ${DEFAULT-VALUE}).")
    int steps = 1500;

    @Option(names = "--batch", description = "Pairs per step (default: ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--hidden", description = "Hidden width of the model (default: ${DEFAULT-VALUE}).")
    int hidden = 512;

    @Option(names = "--lr", paramLabel = "METHOD=VALUE", description = "Learning rate of a method, repeatable (defaults: fft=1e-3, lora=3e-3, dora=mora=1e-2).")
    Map<String, Float> learningRates = new LinkedHashMap<>();

    @Option(names = "--methods", split = ",", description = "Methods to run (default: ${DEFAULT-VALUE}).")
    List<String> methods = new ArrayList<>(List.of("fft", "lora", "dora", "mora"));

    @Option(names = "--operator", description = "MoRA operator (default: rotation for rank ≤ 32, sharing above, as the paper advises).")
    String operator;

    @Option(names = "--engine", description = "auto, pytorch or mxnet (default: auto).")
    String engine;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: auto).")
    String device;

    @Option(names = "--seed", description = "Seed of the pairs, the base weights and the batch order (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--out", description = "Directory for report.json, report.md and curves.png (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("memorize-out");

    @Override
    public Integer call() throws IOException {
        Plugins plugins = parent.plugins();
        MemorizeSettings settings = new MemorizeSettings(pairs, hidden, steps, batch, seed);
        List<RunSpec> runs = plan(plugins);
        OutputDirectory.prepare(out);
        Backend backend = Backend.select(engine, device, plugins);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf("Memorizing %,d UUID pairs on %s: %d runs of %d steps%n", pairs, backend, runs.size(), steps);
        stdout.flush();
        MemorizeRun runner = new MemorizeRun(
                settings, UuidPairs.generate(pairs, seed), backend, plugins, System.err, System.console() != null);
        List<RunResult> results = new ArrayList<>();
        for (RunSpec run : runs) {
            results.add(runner.run(run));
        }
        MemorizeReport report = new MemorizeReport(
                "memorize", pairs, seed, backend.engine().name(), deviceName(backend), hidden, steps, batch, results);
        AtomicFile.write(out.resolve("report.json"), report.toJson().getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(out.resolve("curves.png"), AccuracyChart.png(report));
        AtomicFile.write(out.resolve("report.md"), report.markdown("curves.png").getBytes(StandardCharsets.UTF_8));
        stdout.println();
        stdout.print(report.table());
        stdout.printf("%nWrote %s, %s and %s%n", out.resolve("report.json"), out.resolve("report.md"), out.resolve("curves.png"));
        stdout.flush();
        return 0;
    }

    /** The runs: fft once, every other method at every rank; validates names and ranks first. */
    List<RunSpec> plan(Plugins plugins) {
        TreeSet<String> available = new TreeSet<>();
        available.add(RunSpec.FFT);
        plugins.adapters().forEach(factory -> available.add(factory.name()));
        for (String method : methods) {
            if (!available.contains(method)) {
                throw new PeftException("Unknown method '" + method + "'. Available: " + available);
            }
        }
        for (String method : learningRates.keySet()) {
            if (!available.contains(method)) {
                throw new PeftException("--lr names unknown method '" + method + "'. Available: " + available);
            }
        }
        for (int rank : ranks) {
            if (rank <= 0) {
                throw new IllegalArgumentException("--rank must be positive, got " + rank);
            }
        }
        if (operator != null) {
            plugins.operator(operator);
        }
        List<RunSpec> runs = new ArrayList<>();
        for (String method : methods) {
            float rate = learningRates.getOrDefault(method, DEFAULT_LEARNING_RATES.getOrDefault(method, FALLBACK_LEARNING_RATE));
            if (RunSpec.FFT.equals(method)) {
                runs.add(new RunSpec(method, null, ranks.get(0), rate));
                continue;
            }
            for (int rank : ranks) {
                String op = "mora".equals(method) ? moraOperator(rank, plugins) : null;
                runs.add(new RunSpec(method, op, rank, rate));
            }
        }
        return runs;
    }

    private String moraOperator(int rank, Plugins plugins) {
        if (operator != null) {
            return operator;
        }
        String chosen = rank <= ROTATION_UP_TO_RANK ? "rotation" : "sharing";
        return plugins.operator(chosen).name();
    }

    private static String deviceName(Backend backend) {
        Device device = backend.device();
        return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
    }
}
