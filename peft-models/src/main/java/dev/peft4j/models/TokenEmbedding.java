package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;

/** A lookup table (rows, D) named {@code weight}: token embeddings, or GPT-2's learned positions. */
final class TokenEmbedding extends Module {

    private final Parameter weight = parameter("weight");

    /**
     * The table.
     *
     * @return the weight parameter (rows, D)
     */
    Parameter weight() {
        return weight;
    }

    /**
     * Looks rows up.
     *
     * @param store the parameter store
     * @param ids row ids (B, T), integer
     * @param context the forward
     * @return (B, T, D)
     */
    @Override
    NDArray forward(ParameterStore store, NDArray ids, ForwardContext context) {
        NDArray table = store.getValue(weight, ids.getDevice(), context.training());
        return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }
}
