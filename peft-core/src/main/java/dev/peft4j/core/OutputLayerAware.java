package dev.peft4j.core;

/**
 * A model block that names its output layer, which {@link TargetModules#allLinear()} leaves out, as
 * PEFT leaves out the module that {@code get_output_embeddings()} returns. A model whose output
 * layer reuses the token embedding (tied weights) has no linear output layer, and all-linear then
 * takes every linear layer. Blocks that do not implement this have the last linear layer in
 * forward order as their output layer.
 */
public interface OutputLayerAware {

    /**
     * The output layer's module path, for example {@code lm_head}, whether or not it is a linear layer.
     *
     * @return the path
     */
    String outputLayerPath();
}
