package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

/**
 * Llama's self-attention ({@code self_attn}): {@code q_proj}, {@code k_proj}, {@code v_proj}, rotary
 * positions on q and k (rotate_half layout), grouped-query attention, {@code o_proj}.
 */
final class LlamaAttention extends Module {

    private static final int Q = 0;
    private static final int K = 1;
    private static final int V = 2;
    private static final int O = 3;

    private final int layer;
    private final int heads;
    private final int kvHeads;

    LlamaAttention(ModelConfig config, int layer) {
        this.layer = layer;
        this.heads = config.heads();
        this.kvHeads = config.kvHeads();
        int q = config.heads() * config.headDim();
        int kv = config.kvHeads() * config.headDim();
        addChildBlock(
                "q_proj", Linear.builder().setUnits(q).optBias(config.qkvBias()).build());
        addChildBlock(
                "k_proj",
                Linear.builder().setUnits(kv).optBias(config.qkvBias()).build());
        addChildBlock(
                "v_proj",
                Linear.builder().setUnits(kv).optBias(config.qkvBias()).build());
        addChildBlock(
                "o_proj",
                Linear.builder()
                        .setUnits(config.hiddenSize())
                        .optBias(config.outputBias())
                        .build());
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray q = rotate(Attention.heads(child(Q, store, hidden, context), heads), context);
        NDArray k = rotate(Attention.heads(child(K, store, hidden, context), kvHeads), context);
        NDArray v = Attention.heads(child(V, store, hidden, context), kvHeads);
        if (context.cache() != null) {
            NDArray[] all = context.cache().append(layer, k, v);
            k = all[0];
            v = all[1];
        }
        return child(O, store, Attention.attend(q, k, v, context.attentionMask()), context);
    }

    /** {@code x·cos + rotate_half(x)·sin} (Su et al. 2021, RoFormer §3.4.2, in transformers' half-split layout). */
    private static NDArray rotate(NDArray x, ForwardContext context) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(context.cos()).add(rotated.mul(context.sin()));
    }
}
