package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.core.OutputLayerAware;
import dev.peft4j.spi.PeftException;

/**
 * A causal language model as one DJL block, with Hugging Face's module paths: {@code
 * model.layers.3.self_attn.q_proj}, {@code lm_head} (Llama family), {@code transformer.h.3.attn.c_attn}
 * (GPT-2). As a DJL block it takes {@code (input_ids (B, T)[, attention_mask (B, T)])} and gives
 * logits (B, T, V), so DJL's {@code Trainer} can run it; {@link #forward(ParameterStore, NDArray,
 * NDArray, KvCache, boolean, PairList, boolean)} adds a KV cache.
 */
public final class CausalLmBlock extends AbstractBlock implements OutputLayerAware {

    private static final String OUTPUT_LAYER = "lm_head";

    private final ModelConfig config;
    private final Rotary rotary;

    /**
     * Builds the model of a configuration, its parameters without values (the weight loader sets them).
     *
     * @param config the configuration
     */
    CausalLmBlock(ModelConfig config) {
        this.config = config;
        this.rotary = config.architecture() == Architecture.LLAMA ? new Rotary(config) : null;
        addChildBlock(config.architecture() == Architecture.GPT2 ? "transformer" : "model", Backbone.of(config));
        if (!config.tieWordEmbeddings()) {
            addChildBlock(
                    OUTPUT_LAYER,
                    Linear.builder().setUnits(config.vocabSize()).optBias(false).build());
        }
    }

    /**
     * The configuration the model was built from.
     *
     * @return the configuration
     */
    public ModelConfig config() {
        return config;
    }

    @Override
    public String outputLayerPath() {
        return OUTPUT_LAYER;
    }

    private Backbone backbone() {
        return (Backbone) children.valueAt(0);
    }

    /**
     * Runs the model.
     *
     * @param store the parameter store
     * @param inputIds token ids (B, T), integer
     * @param attentionMask (B, S) with S = cached + T, 1 for real tokens and 0 for padding; {@code
     *     null} when no row is padded
     * @param cache the KV cache to read and extend, or {@code null}
     * @param training whether this is a training forward
     * @param params DJL's forward parameters
     * @param lastOnly whether to compute logits for the last position only
     * @return logits (B, T, V), or (B, 1, V) with {@code lastOnly}
     * @throws PeftException when the model was closed, the shapes do not fit, an input is longer
     *     than the model allows (GPT-2's positions, a sliding window) or a token id is outside the
     *     vocabulary
     */
    public NDArray forward(
            ParameterStore store,
            NDArray inputIds,
            NDArray attentionMask,
            KvCache cache,
            boolean training,
            PairList<String, Object> params,
            boolean lastOnly) {
        if (backbone().embeddingTable().getArray().isReleased()) {
            throw new PeftException("The model's weights were released: its CausalLm (or DJL Model) was closed. "
                    + "Use a model only inside its try-with-resources block");
        }
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2 || shape.get(1) == 0) {
            throw new PeftException("input_ids has shape " + shape + ", expected (batch, tokens) with tokens ≥ 1");
        }
        int batch = Math.toIntExact(shape.get(0));
        int tokens = Math.toIntExact(shape.get(1));
        long past = cache == null ? 0 : cache.length();
        InputLayout layout = InputLayout.of(batch, tokens, past, attentionMask);
        checkLength(layout);
        checkVocabulary(inputIds);
        NDManager manager = inputIds.getManager();
        NDArray ids = inputIds;
        NDArray cos = null;
        NDArray sin = null;
        NDArray positions = null;
        if (rotary != null) {
            NDArray[] tables = rotary.tables(layout.positions(), batch, manager);
            cos = tables[0].toDevice(ids.getDevice(), false);
            sin = tables[1].toDevice(ids.getDevice(), false);
        } else {
            positions = layout.positionIds(manager).toDevice(ids.getDevice(), false);
        }
        NDArray mask = layout.additiveMask(manager).toDevice(ids.getDevice(), false);
        ForwardContext context = new ForwardContext(mask, cos, sin, positions, cache, training, params);
        NDArray hidden = backbone().forward(store, ids, context);
        if (lastOnly) {
            hidden = hidden.get(":, -1:, :");
        }
        if (config.tieWordEmbeddings()) {
            NDArray embedding = store.getValue(backbone().embeddingTable(), hidden.getDevice(), training);
            return Linear.linear(hidden, embedding).singletonOrThrow();
        }
        Block head = children.valueAt(1);
        return head.forward(store, new NDList(hidden), training, params).singletonOrThrow();
    }

    private void checkLength(InputLayout layout) {
        if (config.architecture() == Architecture.GPT2 && layout.maxPosition() >= config.maxPositions()) {
            throw new PeftException("The input reaches position " + layout.maxPosition() + ", but " + config.modelType()
                    + " has learned positions 0.." + (config.maxPositions() - 1) + " (n_positions "
                    + config.maxPositions()
                    + "): shorten the input or the number of new tokens");
        }
        if (config.slidingWindow() > 0 && layout.keys() > config.slidingWindow()) {
            throw new PeftException("The input spans " + layout.keys()
                    + " tokens, longer than the model's sliding window of " + config.slidingWindow()
                    + "; peft4j attends to whole inputs only, so inputs must fit in the window");
        }
    }

    private void checkVocabulary(NDArray inputIds) {
        long min = inputIds.min()
                .toType(ai.djl.ndarray.types.DataType.INT64, false)
                .getLong();
        long max = inputIds.max()
                .toType(ai.djl.ndarray.types.DataType.INT64, false)
                .getLong();
        if (min < 0 || max >= config.vocabSize()) {
            throw new PeftException("Token id " + (min < 0 ? min : max) + " is outside the vocabulary of "
                    + config.vocabSize() + " tokens");
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        if (inputs.isEmpty() || inputs.size() > 2) {
            throw new PeftException(
                    "A causal LM takes (input_ids[, attention_mask]), got " + inputs.size() + " arrays");
        }
        NDArray mask = inputs.size() == 2 ? inputs.get(1) : null;
        return new NDList(forward(store, inputs.get(0), mask, null, training, params, false));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
    }
}
