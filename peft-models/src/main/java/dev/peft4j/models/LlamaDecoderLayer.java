package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/** One pre-norm decoder layer of the Llama family: {@code h += self_attn(norm(h)); h += mlp(norm(h))}. */
final class LlamaDecoderLayer extends Module {

    private static final int INPUT_NORM = 0;
    private static final int ATTENTION = 1;
    private static final int POST_ATTENTION_NORM = 2;
    private static final int MLP = 3;

    LlamaDecoderLayer(ModelConfig config, int layer) {
        addChildBlock("input_layernorm", new RmsNorm(config.normEps()));
        addChildBlock("self_attn", new LlamaAttention(config, layer));
        addChildBlock("post_attention_layernorm", new RmsNorm(config.normEps()));
        addChildBlock("mlp", new LlamaMlp(config));
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray attended =
                module(ATTENTION).forward(store, module(INPUT_NORM).forward(store, hidden, context), context);
        NDArray h = hidden.add(attended);
        return h.add(module(MLP).forward(store, module(POST_ATTENTION_NORM).forward(store, h, context), context));
    }
}
