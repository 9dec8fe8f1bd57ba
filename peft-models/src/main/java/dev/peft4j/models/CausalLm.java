package dev.peft4j.models;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.PeftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pretrained causal language model loaded from a Hugging Face model directory: {@code
 * config.json}, {@code model.safetensors} (or a sharded set with {@code
 * model.safetensors.index.json}) and, when present, {@code tokenizer.json}. Weights are held as
 * float32 whatever their stored type (F32, F16, BF16).
 *
 * <pre>{@code
 * try (CausalLm lm = CausalLm.load(Path.of("SmolLM2-135M"), Backend.select(null, null, Plugins.defaults()))) {
 *     lm.loadAdapter("default", Path.of("my-adapter"));     // module paths are Hugging Face's
 *     long[] prompt = lm.requireTokenizer().encode("Once upon a time", true);
 *     long[] continuation = new Generator(lm).generateIds(List.of(prompt), GenerationConfig.greedy(30)).get(0);
 *     System.out.println(lm.requireTokenizer().decode(continuation, true));
 * }
 * }</pre>
 */
public final class CausalLm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CausalLm.class);

    private final Path directory;
    private final Model model;
    private final CausalLmBlock block;
    private final Tokenizer tokenizer;
    private PeftModel peft;

    private CausalLm(Path directory, Model model, CausalLmBlock block, Tokenizer tokenizer) {
        this.directory = directory;
        this.model = model;
        this.block = block;
        this.tokenizer = tokenizer;
    }

    /**
     * Loads a model directory.
     *
     * @param directory the directory
     * @param backend the engine and device to compute on
     * @return the model; close it to free its native memory
     * @throws PeftException when the directory, config.json, the weights or tokenizer.json is
     *     missing, malformed or does not fit the configuration
     */
    public static CausalLm load(Path directory, Backend backend) {
        if (!Files.isDirectory(directory)) {
            throw new PeftException("Model directory " + directory + " does not exist or is not a directory");
        }
        long start = System.nanoTime();
        ModelConfig config = ModelConfig.read(directory);
        CausalLmBlock block = new CausalLmBlock(config);
        Model model = backend.newModel(directory.getFileName().toString());
        Tokenizer tokenizer = null;
        try {
            try (Checkpoint checkpoint = Checkpoint.open(directory)) {
                WeightLoader.load(block, checkpoint, model.getNDManager());
            }
            model.setBlock(block);
            if (Files.exists(directory.resolve("tokenizer.json"))) {
                tokenizer = Tokenizer.load(directory);
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        LOG.info(
                "Loaded {} ({}, {} layers, {} parameters) in {} ms on {}",
                directory,
                config.modelType(),
                config.layers(),
                String.format("%,d", ParameterShapes.count(ParameterShapes.of(config))),
                (System.nanoTime() - start) / 1_000_000,
                backend);
        return new CausalLm(directory, model, block, tokenizer);
    }

    /**
     * The directory the model was loaded from.
     *
     * @return the directory
     */
    public Path directory() {
        return directory;
    }

    /**
     * The configuration.
     *
     * @return the configuration
     */
    public ModelConfig config() {
        return block.config();
    }

    /**
     * The model as one DJL block, to wrap with {@code PeftModel.wrap} or train with DJL's {@code Trainer}.
     *
     * @return the block
     */
    public CausalLmBlock block() {
        return block;
    }

    /**
     * The DJL model holding the block; its manager owns the weights.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * The tokenizer, when the directory has {@code tokenizer.json}.
     *
     * @return the tokenizer, or empty
     */
    public Optional<Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /**
     * The tokenizer, which text in and out needs.
     *
     * @return the tokenizer
     * @throws PeftException when the directory has no {@code tokenizer.json}
     */
    public Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new PeftException("Model directory " + directory + " has no tokenizer.json: text needs a tokenizer");
        }
        return tokenizer;
    }

    /**
     * The model wrapped for adapters; the first call freezes every base parameter. Module paths
     * are Hugging Face's, so {@code TargetModules.names("q_proj", "v_proj")}, {@code all-linear}
     * (which leaves out {@code lm_head}) and adapters trained by PEFT on the same checkpoint apply
     * as they are.
     *
     * @return the wrapped model
     */
    public PeftModel peft() {
        if (peft == null) {
            peft = PeftModel.wrap(block);
        }
        return peft;
    }

    /**
     * Adds an adapter from a PEFT directory (written by PEFT or peft4j for this checkpoint).
     *
     * @param name the name to give it
     * @param adapterDirectory the directory
     * @throws PeftException when the directory is not a valid adapter or does not fit the model
     */
    public void loadAdapter(String name, Path adapterDirectory) {
        PeftAdapters.load(peft(), name, adapterDirectory, PathMap.identity());
    }

    /**
     * Writes an adapter as a PEFT directory that PEFT's {@code PeftModel.from_pretrained} loads
     * onto this checkpoint: {@code base_model_name_or_path} is the model directory's name, {@code
     * task_type} {@code CAUSAL_LM}, and {@code fan_in_fan_out} is true for GPT-2 (its checkpoint
     * stores Conv1D weights (in, out)).
     *
     * @param name the adapter
     * @param adapterDirectory the directory to write
     */
    public void saveAdapter(String name, Path adapterDirectory) {
        PeftAdapters.BaseModel base = new PeftAdapters.BaseModel(
                directory.getFileName().toString(), "CAUSAL_LM", config().architecture() == Architecture.GPT2);
        PeftAdapters.save(peft(), name, adapterDirectory, PathMap.identity(), base);
    }

    /**
     * Logits of an inference forward without cache.
     *
     * @param inputIds token ids (B, T), integer; the result is owned by its manager
     * @param attentionMask (B, T), 1 for real tokens and 0 for padding, or {@code null}
     * @return logits (B, T, V)
     */
    public NDArray logits(NDArray inputIds, NDArray attentionMask) {
        ParameterStore store = new ParameterStore(inputIds.getManager(), false);
        return block.forward(store, inputIds, attentionMask, null, false, null, false);
    }

    /**
     * A new manager on the model's device, for inputs and results that are closed together.
     *
     * @return the manager
     */
    public NDManager newManager() {
        return model.getNDManager().newSubManager();
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        model.close();
    }
}
