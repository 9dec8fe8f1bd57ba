package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

/**
 * GPT-2's attention ({@code attn}): {@code c_attn} projects to q, k and v at once, then multi-head
 * attention and {@code c_proj}. Both are Conv1D layers in transformers, stored (in, out); here they
 * are linear layers holding the transposed weights, so adapters see the usual (out, in).
 */
final class Gpt2Attention extends Module {

    private static final int QKV = 0;
    private static final int PROJECTION = 1;

    private final int layer;
    private final int heads;

    Gpt2Attention(ModelConfig config, int layer) {
        this.layer = layer;
        this.heads = config.heads();
        addChildBlock(
                "c_attn", Linear.builder().setUnits(3L * config.hiddenSize()).build());
        addChildBlock("c_proj", Linear.builder().setUnits(config.hiddenSize()).build());
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDList qkv = child(QKV, store, hidden, context).split(3, 2);
        NDArray q = Attention.heads(qkv.get(0), heads);
        NDArray k = Attention.heads(qkv.get(1), heads);
        NDArray v = Attention.heads(qkv.get(2), heads);
        if (context.cache() != null) {
            NDArray[] all = context.cache().append(layer, k, v);
            k = all[0];
            v = all[1];
        }
        return child(PROJECTION, store, Attention.attend(q, k, v, context.attentionMask()), context);
    }
}
