package dev.peft4j.experiments.memorize;

import ai.djl.nn.Parameter;
import dev.peft4j.core.Backend;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.CausalLmBlock;
import dev.peft4j.models.GenerationConfig;
import dev.peft4j.models.Generator;
import dev.peft4j.models.Perplexity;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.train.OptimizerStep;
import dev.peft4j.train.data.Batch;
import dev.peft4j.train.data.Batches;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Trains one method on the pairs as prompt → completion text on a pretrained causal language model
 * ({@link PretrainedPairs}) and measures it as it goes: every pair's value decoded greedily from its
 * key, the answers' character accuracy ({@link PretrainedPairs#characterAccuracy}) and pair
 * accuracy (all of the value's characters right), and the mean loss per completion token. Each run
 * loads the model afresh; adapters go on every linear layer but the output layer (all-linear), and
 * full fine-tuning trains every weight, the embeddings included. Training is AdamW at a fixed
 * learning rate without weight decay, gradients clipped to a global norm of 1, on the mean loss
 * per completion token of each batch.
 *
 * <p>The defaults (32 pairs, 200 steps of 8 pairs, so 50 epochs) keep a run of the four methods on
 * stories260k (hidden width 64, 5 layers) to about two minutes on one CPU thread.
 */
public final class PretrainedMemorizeRun {

    /** Pairs of a default run. */
    public static final int DEFAULT_PAIRS = 32;
    /** Steps of a default run. */
    public static final int DEFAULT_STEPS = 200;
    /** Pairs per step of a default run. */
    public static final int DEFAULT_BATCH = 8;
    /**
     * The learning rates of a default run, the best final character accuracy of a small search on
     * stories260k at the default settings, r = 8, seed 42: 1e-3, 2e-3, 3e-3, 5e-3, 1e-2 for the
     * adapters (7e-3 too for LoRA and MoRA), 3e-4, 1e-3, 3e-3 for full fine-tuning.
     */
    public static final Map<String, Float> DEFAULT_LEARNING_RATES =
            Map.of("fft", 1e-3f, "lora", 5e-3f, "dora", 3e-3f, "mora", 5e-3f);

    private static final String ADAPTER = "memorize";
    private static final float MAX_GRAD_NORM = 1f;
    private static final int EVAL_CHUNK = 256;

    private final Path model;
    private final MemorizeSettings settings;
    private final UuidPairs pairs;
    private final Backend backend;
    private final Plugins plugins;
    private final RunProgress progress;
    private final Path adapterDirectory;

    /**
     * Prepares runs sharing a model, settings and data.
     *
     * @param model the model directory
     * @param settings the experiment's settings; the hidden width is the model's
     * @param pairs the pairs to memorize
     * @param backend the engine and device
     * @param plugins where methods are looked up
     * @param progress where each run reports its steps
     * @param adapterDirectory where each trained adapter is saved as a PEFT directory named by its
     *     run ({@link #adapterName}), or {@code null} to keep none
     */
    public PretrainedMemorizeRun(
            Path model,
            MemorizeSettings settings,
            UuidPairs pairs,
            Backend backend,
            Plugins plugins,
            RunProgress progress,
            Path adapterDirectory) {
        this.model = model;
        this.settings = settings;
        this.pairs = pairs;
        this.backend = backend;
        this.plugins = plugins;
        this.progress = progress;
        this.adapterDirectory = adapterDirectory;
    }

    /**
     * The directory name a run's adapter is saved under: {@code lora-r8}, {@code mora-sharing-r8}.
     *
     * @param spec the run
     * @return the name
     */
    public static String adapterName(RunSpec spec) {
        return spec.method() + (spec.operator() == null ? "" : "-" + spec.operator()) + "-r" + spec.rank();
    }

    /**
     * Runs one method.
     *
     * @param spec the method, operator, rank and learning rate
     * @return what it measured
     * @throws PeftException when the model cannot be loaded, has no tokenizer or EOS, or its
     *     tokenizer cannot hold the pairs as text
     */
    public RunResult run(RunSpec spec) {
        long start = System.nanoTime();
        backend.engine().engine().setRandomSeed((int) settings.seed());
        try (CausalLm lm = CausalLm.load(model, backend)) {
            Tokenizer tokenizer = lm.requireTokenizer();
            long eos = eosId(lm, tokenizer);
            PretrainedPairs data = PretrainedPairs.tokenize(pairs, tokenizer, eos, model.toString());
            PeftModel peft = null;
            Collection<Parameter> trained;
            if (RunSpec.FFT.equals(spec.method())) {
                trained = ModuleTree.baseParameters(lm.block()).values();
            } else {
                peft = adapt(lm.block(), spec);
                trained = lm.block().getParameters().values().stream()
                        .filter(Parameter::requiresGradient)
                        .toList();
            }
            long trainable =
                    trained.stream().mapToLong(p -> p.getShape().size()).sum();
            Batches batches =
                    new Batches(data.examples(), Math.min(settings.batch(), data.size()), eos, settings.seed());
            AccuracyCurve curve = new AccuracyCurve(spec, settings.steps());
            RunProgress.Steps reporter = progress.start(spec.label(), settings.steps());
            try (RestartableAdamW optimizer = spec.optimizer()) {
                OptimizerStep optimizerStep = new OptimizerStep(lm, trained, optimizer, MAX_GRAD_NORM);
                evaluate(curve, 0, lm, data);
                List<Batch> epoch = List.of();
                for (int step = 1; step <= settings.steps(); step++) {
                    int index = (step - 1) % batches.batchesPerEpoch();
                    if (index == 0) {
                        epoch = batches.epoch((step - 1) / batches.batchesPerEpoch());
                    }
                    Batch batch = epoch.get(index);
                    double loss = optimizerStep.run(new Batch[] {batch}, batch.trainedTokens());
                    if (peft != null) {
                        peft.invalidateCaches();
                    }
                    if (curve.diverges(step, loss)) {
                        break;
                    }
                    if (curve.measuredAfter(step)) {
                        evaluate(curve, step, lm, data);
                        if (curve.diverged()) {
                            break;
                        }
                    }
                    reporter.update(step, curve.progress(loss));
                }
            }
            if (peft != null && adapterDirectory != null) {
                PeftAdapters.save(
                        peft,
                        ADAPTER,
                        adapterDirectory.resolve(adapterName(spec)),
                        PathMap.identity(),
                        new PeftAdapters.BaseModel(
                                model.getFileName().toString(),
                                "CAUSAL_LM",
                                "gpt2".equals(lm.config().modelType())));
            }
            return curve.result(trainable, start);
        }
    }

    private PeftModel adapt(CausalLmBlock block, RunSpec spec) {
        TargetModules targets = TargetModules.allLinear();
        List<ModuleTree.Layer> layers = targets.select(ModuleTree.linearLayers(block), block.outputLayerPath());
        AdapterConfig config = ParameterBudget.forRun(spec, layers, plugins);
        return PeftModel.wrap(block, plugins).addAdapter(ADAPTER, config, targets);
    }

    private long eosId(CausalLm lm, Tokenizer tokenizer) {
        long[] ids = tokenizer.eosIds();
        if (ids.length > 0) {
            return ids[0];
        }
        if (!lm.config().eosTokenIds().isEmpty()) {
            return lm.config().eosTokenIds().get(0);
        }
        throw new PeftException("Model " + model + " names no EOS token: a completion needs one to end");
    }

    /**
     * Records character accuracy, pair accuracy and the mean loss per completion token over every
     * pair. The loss reuses {@link Perplexity}: as the model is causal, a completion's summed NLL is
     * the whole sequence's minus its prompt's.
     */
    private void evaluate(AccuracyCurve curve, int step, CausalLm lm, PretrainedPairs data) {
        Generator generator = new Generator(lm);
        GenerationConfig greedy = GenerationConfig.greedy(data.longestCompletion());
        Tokenizer tokenizer = lm.requireTokenizer();
        double characters = 0;
        double exact = 0;
        for (int from = 0; from < data.size(); from += EVAL_CHUNK) {
            int to = Math.min(data.size(), from + EVAL_CHUNK);
            List<long[]> completions = generator.generateIds(data.prompts().subList(from, to), greedy);
            for (int i = from; i < to; i++) {
                String answer = PretrainedPairs.answer(tokenizer.decode(completions.get(i - from), true));
                double accuracy = PretrainedPairs.characterAccuracy(data.value(i), answer);
                characters += accuracy;
                exact += accuracy == 1 ? 1 : 0;
            }
        }
        Perplexity perplexity = new Perplexity(lm, EVAL_CHUNK);
        double completionNll =
                summedNll(perplexity.score(data.sequences())) - summedNll(perplexity.score(data.prompts()));
        curve.add(step, characters / data.size(), exact / data.size(), completionNll / data.completionTokens());
    }

    private static double summedNll(Perplexity.Score score) {
        return score.meanNll() * score.tokens();
    }
}
