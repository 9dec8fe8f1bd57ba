package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A part of a transformer that its model calls with a {@link ForwardContext} (attention mask,
 * positions, KV cache). Children are looked up by position at every call, so a child replaced by
 * an adapter-wrapped layer (see {@code PeftModel}) is the one that runs.
 */
abstract class Module extends AbstractBlock {

    /**
     * Runs the module on hidden states.
     *
     * @param store the parameter store
     * @param hidden (B, T, D)
     * @param context the forward's mask, positions and cache
     * @return (B, T, D)
     */
    abstract NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context);

    /**
     * Runs child {@code index} (a linear layer or embedding, or an adapter-wrapped one) on one array.
     *
     * @param index the child's position
     * @param store the parameter store
     * @param x its input
     * @param context the forward
     * @return its output
     */
    final NDArray child(int index, ParameterStore store, NDArray x, ForwardContext context) {
        Block block = children.valueAt(index);
        return block.forward(store, new NDList(x), context.training(), context.params())
                .singletonOrThrow();
    }

    /**
     * A child module, by position.
     *
     * @param index the child's position
     * @return the module
     */
    final Module module(int index) {
        return (Module) children.valueAt(index);
    }

    /**
     * Adds a parameter, named as in the Hugging Face state dict.
     *
     * @param name {@code weight} or {@code bias}
     * @return the parameter; its array is set by the weight loader
     */
    final Parameter parameter(String name) {
        return addParameter(Parameter.builder()
                .setName(name)
                .setType(name.equals("bias") ? Parameter.Type.BIAS : Parameter.Type.WEIGHT)
                .build());
    }

    @Override
    protected final NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " is part of a transformer: run the whole model (CausalLmBlock), which supplies the attention mask,"
                + " positions and cache");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
