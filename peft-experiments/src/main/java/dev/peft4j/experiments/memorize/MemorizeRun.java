package dev.peft4j.experiments.memorize;

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
import dev.peft4j.core.Backend;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/** Trains one method on the pairs and measures it as it goes. */
public final class MemorizeRun {

    /** Pairs of a default run. */
    public static final int DEFAULT_PAIRS = 384;
    /** Steps of a default run. */
    public static final int DEFAULT_STEPS = 1500;
    /** Pairs per step of a default run. */
    public static final int DEFAULT_BATCH = 64;
    /**
     * The learning rates of a default run, the best final accuracy of a small search at the default
     * settings: 3e-3, 1e-2, 3e-2 for the adapters, 3e-4, 1e-3, 3e-3 for full fine-tuning.
     */
    public static final Map<String, Float> DEFAULT_LEARNING_RATES =
            Map.of("fft", 1e-3f, "lora", 3e-3f, "dora", 1e-2f, "mora", 1e-2f);

    private static final String ADAPTER = "memorize";
    private static final int EVAL_CHUNK = 1024;

    private final MemorizeSettings settings;
    private final UuidPairs pairs;
    private final Backend backend;
    private final Plugins plugins;
    private final RunProgress progress;

    /**
     * Prepares runs sharing settings and data.
     *
     * @param settings the experiment's settings
     * @param pairs the pairs to memorize
     * @param backend the engine and device
     * @param plugins where methods are looked up
     * @param progress where each run reports its steps
     */
    public MemorizeRun(
            MemorizeSettings settings, UuidPairs pairs, Backend backend, Plugins plugins, RunProgress progress) {
        this.settings = settings;
        this.pairs = pairs;
        this.backend = backend;
        this.plugins = plugins;
        this.progress = progress;
    }

    /**
     * Runs one method.
     *
     * @param spec the method, operator, rank and learning rate
     * @return what it measured
     */
    public RunResult run(RunSpec spec) {
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
            RestartableAdamW optimizer = spec.optimizer();
            DefaultTrainingConfig config = new DefaultTrainingConfig(new HexCrossEntropy())
                    .optOptimizer(optimizer)
                    .optDevices(new Device[] {backend.device()});
            AccuracyCurve curve = new AccuracyCurve(spec, settings.steps());
            RunProgress.Steps reporter = progress.start(spec.label(), settings.steps());
            try (optimizer;
                    Trainer trainer = model.newTrainer(config)) {
                evaluate(curve, 0, block, model.getNDManager());
                int[] order = IntStream.range(0, pairs.size()).toArray();
                Random shuffle = new Random(settings.seed() + 1);
                int cursor = order.length;
                for (int step = 1; step <= settings.steps(); step++) {
                    int[] batch = new int[Math.min(settings.batch(), pairs.size())];
                    for (int i = 0; i < batch.length; i++) {
                        if (cursor == order.length) {
                            shuffle(order, shuffle);
                            cursor = 0;
                        }
                        batch[i] = order[cursor++];
                    }
                    double loss = trainStep(trainer, model.getNDManager(), batch);
                    if (curve.diverges(step, loss)) {
                        break;
                    }
                    if (curve.measuredAfter(step)) {
                        evaluate(curve, step, block, model.getNDManager());
                        if (curve.diverged()) {
                            break;
                        }
                    }
                    reporter.update(step, curve.progress(loss));
                }
            }
            return curve.result(trainable, start);
        }
    }

    private Block adapt(SequentialBlock base, RunSpec spec) {
        AdapterConfig config = ParameterBudget.forRun(spec, ModuleTree.linearLayers(base), plugins);
        return PeftModel.wrap(base, plugins)
                .addAdapter(ADAPTER, config, TargetModules.regex(".*"))
                .block();
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

    /** Records character accuracy, pair accuracy and loss over every pair. */
    private void evaluate(AccuracyCurve curve, int step, Block block, NDManager parent) {
        double correctCharacters = 0;
        double correctPairs = 0;
        double lossSum = 0;
        HexCrossEntropy lossFunction = new HexCrossEntropy();
        for (int from = 0; from < pairs.size(); from += EVAL_CHUNK) {
            int[] chunk = IntStream.range(from, Math.min(pairs.size(), from + EVAL_CHUNK))
                    .toArray();
            try (NDManager manager = parent.newSubManager()) {
                NDArray keys = pairs.encodeKeys(manager, chunk);
                NDArray logits = block.forward(new ParameterStore(manager, false), new NDList(keys), false)
                        .singletonOrThrow();
                NDArray predicted = logits.reshape(chunk.length, UuidPairs.LENGTH, UuidPairs.SYMBOLS)
                        .argMax(-1)
                        .toType(DataType.INT32, false);
                NDArray correct = predicted.eq(pairs.valueDigits(manager, chunk));
                NDArray charactersRight =
                        correct.toType(DataType.FLOAT32, false).sum(new int[] {1});
                correctCharacters += charactersRight.sum().getFloat();
                correctPairs += charactersRight
                        .eq(UuidPairs.LENGTH)
                        .toType(DataType.FLOAT32, false)
                        .sum()
                        .getFloat();
                lossSum += chunk.length
                        * lossFunction
                                .evaluate(new NDList(pairs.encodeValues(manager, chunk)), new NDList(logits))
                                .getFloat();
            }
        }
        curve.add(
                step,
                correctCharacters / ((double) pairs.size() * UuidPairs.LENGTH),
                correctPairs / pairs.size(),
                lossSum / pairs.size());
    }
}
