package dev.peft4j.cli;

import com.google.gson.JsonObject;
import dev.peft4j.core.Backend;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PeftConfigFile;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.train.EvalSplit;
import dev.peft4j.train.FineTuneConfig;
import dev.peft4j.train.FineTuner;
import dev.peft4j.train.LearningRateSchedule;
import dev.peft4j.train.TrainingProgress;
import dev.peft4j.train.data.JsonlData;
import dev.peft4j.train.data.TrainingData;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j finetune}: trains a LoRA, DoRA or MoRA adapter on a model and a JSONL file ({@link FineTuner}). */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Fine-tune an adapter (LoRA, DoRA, MoRA) on a pretrained causal LM with your JSONL data; writes a PEFT "
                        + "adapter Python loads, checkpoints, report.json and loss.png.")
final class FinetuneCommand implements Callable<Integer> {

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A Hugging Face model directory.")
    private Path model;

    @Option(
            names = "--data",
            required = true,
            paramLabel = "FILE.jsonl",
            description =
                    "Training data, one JSON object per line: {\"text\"}, {\"prompt\", \"completion\"} or {\"messages\"}.")
    private Path data;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Where adapter/, checkpoints and the report go.")
    private Path out;

    @ArgGroup(exclusive = true)
    private EvalInput evalInput;

    /** One way to evaluate. */
    static final class EvalInput {
        @Option(names = "--eval-data", paramLabel = "FILE.jsonl", description = "Evaluation data, same formats.")
        Path file;

        @Option(
                names = "--eval-fraction",
                paramLabel = "F",
                description = "Hold out this share of --data for evaluation.")
        Double fraction;
    }

    @Option(
            names = "--method",
            defaultValue = "lora",
            description = "lora, dora, mora or a plugin's method (default: lora).")
    private String method;

    @Option(names = "--rank", defaultValue = "8", description = "r (default: 8).")
    private int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "α; the scaling is α/r (default: 16).")
    private float alpha;

    @Option(
            names = "--target",
            defaultValue = "q_proj,v_proj",
            split = ",",
            description = "Module names (linear layers; embed_tokens or wte for LoRA on the embedding), or all-linear"
                    + " (default: q_proj,v_proj).")
    private List<String> targets = new ArrayList<>();

    @Option(names = "--operator", description = "MoRA's compression operator (sharing, rotation, …).")
    private String operator;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "A method option (repeatable).")
    private List<String> options = new ArrayList<>();

    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default: 2e-4).")
    private float learningRate;

    @Option(names = "--warmup-steps", defaultValue = "0", description = "Linear warmup steps (default: 0).")
    private int warmupSteps;

    @Option(
            names = "--schedule",
            defaultValue = "linear",
            description = "cosine, linear or constant after warmup (default: linear).")
    private String schedule;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: 0).")
    private float weightDecay;

    @Option(
            names = "--max-grad-norm",
            defaultValue = "1",
            description = "Clip the global gradient norm to this; 0 turns it off (default: 1).")
    private float maxGradNorm;

    @Option(names = "--batch", defaultValue = "4", description = "Sequences per micro-batch (default: 4).")
    private int batch;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default: 1).")
    private int gradAccum;

    @Option(names = "--max-length", defaultValue = "512", description = "Longer sequences are cut (default: 512).")
    private int maxLength;

    @ArgGroup(exclusive = true)
    private Length length;

    /** How long to train. */
    static final class Length {
        @Option(names = "--epochs", paramLabel = "N", description = "Passes over the data (default: 1).")
        Integer epochs;

        @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps.")
        Integer steps;
    }

    @Option(
            names = "--eval-every",
            defaultValue = "0",
            description = "Evaluate every N steps, and at the end (default: at the end).")
    private int evalEvery;

    @Option(
            names = "--save-every",
            defaultValue = "0",
            description = "Write checkpoint-N every N steps (default: none).")
    private int saveEvery;

    @Option(
            names = "--resume",
            paramLabel = "CHECKPOINT_DIR",
            description = "Continue from a checkpoint-N directory of a run with the same settings.")
    private Path resume;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seeds initialisation, data order and dropout (default: 42).")
    private long seed;

    @Mixin
    private EngineOptions engineOptions;

    @Override
    public Integer call() {
        FineTuneConfig config = config();
        checkAgainstThePlugins(config);
        checkOutput();
        parent.paths()
                .readsDirectory("--model", model)
                .readsFile("--data", data)
                .readsFile("--eval-data", evalInput == null ? null : evalInput.file)
                .readsDirectory("--resume", resume)
                .writesInto("--out", out)
                .replacesDirectory(
                        "--out",
                        out.resolve("adapter"),
                        Set.of(AdapterDirectory.WEIGHTS_FILE, PeftConfigFile.FILE_NAME))
                .writesFile("--out", out.resolve("report.json"))
                .writesFile("--out", out.resolve("loss.png"))
                .check();
        Backend backend = engineOptions.backend(parent.plugins());
        try (CausalLm lm = CausalLm.load(model, backend)) {
            Tokenizer tokenizer = lm.requireTokenizer();
            TrainingData train = JsonlData.read(data, tokenizer, maxLength);
            TrainingData eval = null;
            if (evalInput != null && evalInput.file != null) {
                eval = JsonlData.read(evalInput.file, tokenizer, maxLength);
            } else if (evalInput != null) {
                EvalSplit split = EvalSplit.of(train, evalInput.fraction, seed);
                train = split.train();
                eval = split.eval();
            }
            PrintStream err = System.err;
            if (train.truncated() > 0) {
                err.printf(
                        Locale.ROOT,
                        "%d of %d training sequences were longer than --max-length %d and were cut%n",
                        train.truncated(),
                        train.examples().size(),
                        maxLength);
            }
            JsonObject report = new FineTuner(lm, config, train, eval, progress(err)).run(out, resume);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.printf(
                    Locale.ROOT,
                    "Wrote %s: %d steps, %,d tokens, %.1f s (%.0f tokens/s), final train loss %.4f%s%n",
                    out.resolve("adapter"),
                    report.get("steps").getAsInt(),
                    report.get("tokens").getAsLong(),
                    report.get("seconds").getAsDouble(),
                    report.get("tokensPerSecond").getAsDouble(),
                    lastValue(report, "trainLoss"),
                    report.get("finalEvalPerplexity").isJsonNull()
                            ? ""
                            : String.format(
                                    Locale.ROOT,
                                    ", eval perplexity %.3f",
                                    report.get("finalEvalPerplexity").getAsDouble()));
            stdout.flush();
        }
        return 0;
    }

    /** The method exists and accepts its options (a named operator included), before the model loads. */
    private void checkAgainstThePlugins(FineTuneConfig config) {
        Plugins plugins = parent.plugins();
        try {
            AdapterFactory factory = plugins.adapter(config.method());
            factory.check(config.adapterConfig(), plugins);
        } catch (PeftException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** A run writes into a new or empty --out, or continues one of its own checkpoints there; outputs of two runs never mix. */
    private void checkOutput() {
        boolean continuing = resume != null
                && resume.toAbsolutePath()
                        .normalize()
                        .startsWith(out.toAbsolutePath().normalize());
        if (continuing || !Files.isDirectory(out)) {
            return;
        }
        try (Stream<Path> entries = Files.list(out)) {
            List<String> found = entries.map(entry -> entry.getFileName().toString())
                    .sorted()
                    .limit(5)
                    .toList();
            if (!found.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--out " + out + " already holds " + found
                                + ": give a new or empty directory, or --resume one of its checkpoints to continue that run");
            }
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--out " + out + " cannot be listed: " + e.getMessage());
        }
    }

    private static double lastValue(JsonObject report, String key) {
        var points = report.getAsJsonArray(key);
        return points.get(points.size() - 1).getAsJsonArray().get(1).getAsDouble();
    }

    private FineTuneConfig config() {
        Map<String, String> methodOptions = new LinkedHashMap<>();
        for (String option : options) {
            int equals = option.indexOf('=');
            if (equals <= 0) {
                throw new ParameterException(spec.commandLine(), "--option '" + option + "' must be written KEY=VALUE");
            }
            methodOptions.put(option.substring(0, equals), option.substring(equals + 1));
        }
        if (operator != null) {
            methodOptions.put("operator", operator);
        }
        if (evalInput != null && evalInput.fraction != null && !(evalInput.fraction > 0 && evalInput.fraction < 1)) {
            throw new ParameterException(
                    spec.commandLine(), "--eval-fraction must be in (0, 1), got " + evalInput.fraction);
        }
        int epochs = length == null || length.steps == null
                ? (length == null || length.epochs == null ? 1 : length.epochs)
                : 0;
        int steps = length != null && length.steps != null ? length.steps : 0;
        try {
            return new FineTuneConfig(
                    method,
                    rank,
                    alpha,
                    targets,
                    methodOptions,
                    learningRate,
                    warmupSteps,
                    LearningRateSchedule.Shape.parse(schedule),
                    weightDecay,
                    maxGradNorm,
                    batch,
                    gradAccum,
                    maxLength,
                    epochs,
                    steps,
                    evalEvery,
                    saveEvery,
                    seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static TrainingProgress progress(PrintStream err) {
        boolean interactive = System.console() != null;
        return new TrainingProgress() {
            private ProgressBar bar;

            @Override
            public void step(
                    int step,
                    int totalSteps,
                    double loss,
                    double learningRate,
                    double tokensPerSecond,
                    double secondsLeft) {
                if (bar == null) {
                    bar = new ProgressBar(err, "finetune", totalSteps, interactive);
                }
                bar.update(
                        step,
                        String.format(
                                Locale.ROOT,
                                "loss %.4f lr %.2e %.0f tok/s ETA %s",
                                loss,
                                learningRate,
                                tokensPerSecond,
                                duration(secondsLeft)));
            }

            @Override
            public void evaluated(int step, double loss) {
                err.printf(Locale.ROOT, "%nstep %d: eval loss %.4f, perplexity %.3f%n", step, loss, Math.exp(loss));
            }
        };
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
