package dev.peft4j.cli.memorize;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.cli.ProgressBar;
import dev.peft4j.core.Backend;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.Plugins;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.IntStream;

/** Trains one method on the pairs and measures it as it goes. */
final class MemorizeRun {

    private static final String ADAPTER = "memorize";
    private static final int EVAL_CHUNK = 1024;
    private static final double[] REPORTED_FRACTIONS = {0.3, 0.5, 0.7, 0.9, 1.0};
    private static final int CURVE_POINTS = 20;

    private final MemorizeSettings settings;
    private final UuidPairs pairs;
    private final Backend backend;
    private final Plugins plugins;
    private final PrintStream progress;
    private final boolean interactive;

    /**
     * Prepares runs sharing settings and data.
     *
     * @param settings the experiment's settings
     * @param pairs the pairs to memorize
     * @param backend the engine and device
     * @param plugins where methods are looked up
     * @param progress where progress bars are drawn
     * @param interactive whether that is a terminal
     */
    MemorizeRun(MemorizeSettings settings, UuidPairs pairs, Backend backend, Plugins plugins, PrintStream progress, boolean interactive) {
        this.settings = settings;
        this.pairs = pairs;
        this.backend = backend;
        this.plugins = plugins;
        this.progress = progress;
        this.interactive = interactive;
    }

    /**
     * Runs one method.
     *
     * @param spec the method, operator, rank and learning rate
     * @return what it measured
     */
    RunResult run(RunSpec spec) {
        long start = System.nanoTime();
        backend.engine().engine().setRandomSeed((int) settings.seed());
        try (Model model = backend.newModel("memorize")) {
            SequentialBlock base = MemorizeModel.build(model.getNDManager(), settings.hidden(), settings.seed());
            Block block = RunSpec.FFT.equals(spec.method()) ? base : adapt(base, spec);
            long trainable = block.getParameters().values().stream()
                    .filter(Parameter::requiresGradient)
                    .mapToLong(p -> p.getShape().size())
                    .sum();
            model.setBlock(block);
            RestartableAdamW optimizer = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(spec.learningRate()))
                    .optWeightDecays(0f)
                    .build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(new HexCrossEntropy())
                    .optOptimizer(optimizer)
                    .optDevices(new Device[] {backend.device()});
            List<Integer> steps = new ArrayList<>();
            List<double[]> metrics = new ArrayList<>();
            TreeSet<Integer> evalSteps = evalSteps(settings.steps());
            ProgressBar bar = new ProgressBar(progress, spec.label(), settings.steps(), interactive);
            try (optimizer; Trainer trainer = model.newTrainer(config)) {
                steps.add(0);
                metrics.add(evaluate(block, model.getNDManager()));
                int[] order = IntStream.range(0, pairs.size()).toArray();
                Random shuffle = new Random(settings.seed() + 1);
                int cursor = order.length;
                double loss = metrics.get(0)[2];
                for (int step = 1; step <= settings.steps(); step++) {
                    int[] batch = new int[Math.min(settings.batch(), pairs.size())];
                    for (int i = 0; i < batch.length; i++) {
                        if (cursor == order.length) {
                            shuffle(order, shuffle);
                            cursor = 0;
                        }
                        batch[i] = order[cursor++];
                    }
                    loss = trainStep(trainer, model.getNDManager(), batch);
                    if (evalSteps.contains(step)) {
                        steps.add(step);
                        metrics.add(evaluate(block, model.getNDManager()));
                    }
                    bar.update(step, String.format(Locale.ROOT, "loss %.3f char acc %.1f%%", loss, 100 * metrics.get(metrics.size() - 1)[0]));
                }
            }
            double[] last = metrics.get(metrics.size() - 1);
            return new RunResult(
                    spec.method(),
                    spec.operator(),
                    spec.rank(),
                    spec.learningRate(),
                    trainable,
                    steps,
                    metrics.stream().map(m -> m[0]).toList(),
                    metrics.stream().map(m -> m[1]).toList(),
                    metrics.stream().map(m -> m[2]).toList(),
                    last[0],
                    last[1],
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private Block adapt(SequentialBlock base, RunSpec spec) {
        AdapterFactory factory = plugins.adapter(spec.method());
        AdapterConfig.Builder builder = AdapterConfig.builder(spec.method()).setRank(spec.rank()).optAlpha(2f * spec.rank());
        if (spec.operator() != null) {
            // MoRA: small --hidden widths give layers where k ≤ r̂, outside kongds/MoRA's domain;
            // the documented generalisation covers them (the defaults never need it).
            builder.optOption("operator", spec.operator()).optOption("generalized", "true");
        }
        List<AdapterTarget> layers = ModuleTree.linearLayers(base).stream()
                .map(layer -> {
                    Parameter weight = layer.block().getParameters().get("weight");
                    return AdapterTarget.of(
                            layer.path(),
                            Math.toIntExact(weight.getShape().get(1)),
                            Math.toIntExact(weight.getShape().get(0)),
                            DataType.FLOAT32);
                })
                .toList();
        long budget = ParameterBudget.loraBudget(spec.rank(), layers);
        AdapterConfig config = ParameterBudget.balance(factory, builder.build(), layers, budget, plugins);
        PeftModel peft = PeftModel.wrap(base, plugins).addAdapter(ADAPTER, config, TargetModules.regex(".*"));
        return peft.block();
    }

    private static TreeSet<Integer> evalSteps(int total) {
        TreeSet<Integer> steps = new TreeSet<>();
        for (double fraction : REPORTED_FRACTIONS) {
            steps.add(Math.max(1, (int) Math.round(fraction * total)));
        }
        for (int i = 1; i <= CURVE_POINTS; i++) {
            steps.add(Math.max(1, (int) Math.round((double) i * total / CURVE_POINTS)));
        }
        return steps;
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
    }

    private double trainStep(Trainer trainer, NDManager parent, int[] batch) {
        try (NDManager manager = parent.newSubManager()) {
            NDArray keys = pairs.encodeKeys(manager, batch);
            NDArray values = pairs.encodeValues(manager, batch);
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray logits = trainer.forward(new NDList(keys)).singletonOrThrow();
                NDArray value = trainer.getLoss().evaluate(new NDList(values), new NDList(logits));
                collector.backward(value);
                loss = value.getFloat();
            }
            trainer.step();
            return loss;
        }
    }

    /** Character accuracy, pair accuracy and loss over every pair. */
    private double[] evaluate(Block block, NDManager parent) {
        double correctCharacters = 0;
        double correctPairs = 0;
        double lossSum = 0;
        HexCrossEntropy lossFunction = new HexCrossEntropy();
        for (int from = 0; from < pairs.size(); from += EVAL_CHUNK) {
            int[] chunk = IntStream.range(from, Math.min(pairs.size(), from + EVAL_CHUNK)).toArray();
            try (NDManager manager = parent.newSubManager()) {
                NDArray keys = pairs.encodeKeys(manager, chunk);
                NDArray logits = block.forward(new ParameterStore(manager, false), new NDList(keys), false).singletonOrThrow();
                NDArray predicted = logits.reshape(chunk.length, UuidPairs.LENGTH, UuidPairs.SYMBOLS).argMax(-1).toType(DataType.INT32, false);
                NDArray correct = predicted.eq(pairs.valueDigits(manager, chunk));
                NDArray charactersRight = correct.toType(DataType.FLOAT32, false).sum(new int[] {1});
                correctCharacters += charactersRight.sum().getFloat();
                correctPairs += charactersRight.eq(UuidPairs.LENGTH).toType(DataType.FLOAT32, false).sum().getFloat();
                lossSum += chunk.length * lossFunction.evaluate(new NDList(pairs.encodeValues(manager, chunk)), new NDList(logits)).getFloat();
            }
        }
        return new double[] {
            correctCharacters / ((double) pairs.size() * UuidPairs.LENGTH),
            correctPairs / pairs.size(),
            lossSum / pairs.size()
        };
    }
}
