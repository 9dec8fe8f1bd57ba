package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.core.LookupTable;

/**
 * A lookup table (rows, D) named {@code weight}: token embeddings, or GPT-2's learned positions. Its
 * forward takes row ids (B, T), integer, and gives (B, T, D); as a {@link LookupTable} it can carry
 * LoRA ({@code target_modules: embed_tokens}).
 */
final class TokenEmbedding extends AbstractBlock implements LookupTable {

    private final Parameter weight = addParameter(
            Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());

    @Override
    public Parameter table() {
        return weight;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        NDArray table = store.getValue(weight, ids.getDevice(), training);
        return Embedding.embedding(ids, table, SparseFormat.DENSE);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(weight.getShape().get(1))};
    }
}
