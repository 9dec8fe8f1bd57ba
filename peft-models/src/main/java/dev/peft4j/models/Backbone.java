package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.LookupTable;
import java.util.ArrayList;
import java.util.List;

/**
 * The transformer under the output layer: {@code model} for the Llama family (embed_tokens, layers,
 * norm), {@code transformer} for GPT-2 (wte, wpe, h, ln_f). Its forward takes token ids (B, T) and
 * gives the final normalised hidden states (B, T, D).
 */
final class Backbone extends Module {

    private static final int EMBEDDING = 0;

    private final Architecture architecture;
    private final int layersIndex;
    private final int normIndex;

    private Backbone(Architecture architecture, int layersIndex, int normIndex) {
        this.architecture = architecture;
        this.layersIndex = layersIndex;
        this.normIndex = normIndex;
    }

    /**
     * Builds the backbone of a configuration, its parameters without values.
     *
     * @param config the configuration
     * @return the backbone
     */
    static Backbone of(ModelConfig config) {
        List<Module> layers = new ArrayList<>(config.layers());
        if (config.architecture() == Architecture.GPT2) {
            Backbone gpt2 = new Backbone(Architecture.GPT2, 2, 3);
            gpt2.addChildBlock("wte", new TokenEmbedding());
            gpt2.addChildBlock("wpe", new TokenEmbedding());
            for (int i = 0; i < config.layers(); i++) {
                layers.add(new Gpt2Block(config, i));
            }
            gpt2.addChildBlock("h", new LayerStack(layers));
            gpt2.addChildBlock("ln_f", new LayerNorm(config.normEps()));
            return gpt2;
        }
        Backbone llama = new Backbone(Architecture.LLAMA, 1, 2);
        llama.addChildBlock("embed_tokens", new TokenEmbedding());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new LlamaDecoderLayer(config, i));
        }
        llama.addChildBlock("layers", new LayerStack(layers));
        llama.addChildBlock("norm", new RmsNorm(config.normEps()));
        return llama;
    }

    /**
     * The token embedding's table (V, D), which a tied output layer reuses; the table of the base
     * embedding when LoRA is on it.
     *
     * @return the table
     */
    Parameter embeddingTable() {
        return ((LookupTable) children.valueAt(EMBEDDING)).table();
    }

    @Override
    NDArray forward(ParameterStore store, NDArray ids, ForwardContext context) {
        NDArray hidden = child(EMBEDDING, store, ids, context);
        if (architecture == Architecture.GPT2) {
            hidden = hidden.add(child(EMBEDDING + 1, store, context.positions(), context));
        }
        return module(normIndex).forward(store, module(layersIndex).forward(store, hidden, context), context);
    }
}
