package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/** One GPT-2 block ({@code h.N}): {@code h += attn(ln_1(h)); h += mlp(ln_2(h))}. */
final class Gpt2Block extends Module {

    private static final int LN_1 = 0;
    private static final int ATTENTION = 1;
    private static final int LN_2 = 2;
    private static final int MLP = 3;

    Gpt2Block(ModelConfig config, int layer) {
        addChildBlock("ln_1", new LayerNorm(config.normEps()));
        addChildBlock("attn", new Gpt2Attention(config, layer));
        addChildBlock("ln_2", new LayerNorm(config.normEps()));
        addChildBlock("mlp", new Gpt2Mlp(config));
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray h = hidden.add(module(ATTENTION).forward(store, module(LN_1).forward(store, hidden, context), context));
        return h.add(module(MLP).forward(store, module(LN_2).forward(store, h, context), context));
    }
}
