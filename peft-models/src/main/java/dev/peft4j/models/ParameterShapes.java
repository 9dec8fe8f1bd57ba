package dev.peft4j.models;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of every parameter of a configuration, by its Hugging Face state-dict name, as the
 * model holds it: linear weights (out, in), so GPT-2's Conv1D weights transposed from their
 * stored (in, out).
 */
final class ParameterShapes {

    private ParameterShapes() {}

    /**
     * The shapes.
     *
     * @param config the configuration
     * @return shape by parameter name, in the model's order
     */
    static Map<String, Shape> of(ModelConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        long d = config.hiddenSize();
        if (config.architecture() == Architecture.GPT2) {
            shapes.put("transformer.wte.weight", new Shape(config.vocabSize(), d));
            shapes.put("transformer.wpe.weight", new Shape(config.maxPositions(), d));
            for (int i = 0; i < config.layers(); i++) {
                String layer = "transformer.h." + i + ".";
                norm(shapes, layer + "ln_1", d, true);
                linear(shapes, layer + "attn.c_attn", d, 3 * d, true);
                linear(shapes, layer + "attn.c_proj", d, d, true);
                norm(shapes, layer + "ln_2", d, true);
                linear(shapes, layer + "mlp.c_fc", d, config.intermediateSize(), true);
                linear(shapes, layer + "mlp.c_proj", config.intermediateSize(), d, true);
            }
            norm(shapes, "transformer.ln_f", d, true);
        } else {
            long q = (long) config.heads() * config.headDim();
            long kv = (long) config.kvHeads() * config.headDim();
            shapes.put("model.embed_tokens.weight", new Shape(config.vocabSize(), d));
            for (int i = 0; i < config.layers(); i++) {
                String layer = "model.layers." + i + ".";
                norm(shapes, layer + "input_layernorm", d, false);
                linear(shapes, layer + "self_attn.q_proj", d, q, config.qkvBias());
                linear(shapes, layer + "self_attn.k_proj", d, kv, config.qkvBias());
                linear(shapes, layer + "self_attn.v_proj", d, kv, config.qkvBias());
                linear(shapes, layer + "self_attn.o_proj", q, d, config.outputBias());
                norm(shapes, layer + "post_attention_layernorm", d, false);
                linear(shapes, layer + "mlp.gate_proj", d, config.intermediateSize(), config.mlpBias());
                linear(shapes, layer + "mlp.up_proj", d, config.intermediateSize(), config.mlpBias());
                linear(shapes, layer + "mlp.down_proj", config.intermediateSize(), d, config.mlpBias());
            }
            norm(shapes, "model.norm", d, false);
        }
        if (!config.tieWordEmbeddings()) {
            shapes.put("lm_head.weight", new Shape(config.vocabSize(), d));
        }
        return shapes;
    }

    private static void linear(Map<String, Shape> shapes, String module, long in, long out, boolean bias) {
        shapes.put(module + ".weight", new Shape(out, in));
        if (bias) {
            shapes.put(module + ".bias", new Shape(out));
        }
    }

    private static void norm(Map<String, Shape> shapes, String module, long d, boolean bias) {
        shapes.put(module + ".weight", new Shape(d));
        if (bias) {
            shapes.put(module + ".bias", new Shape(d));
        }
    }

    /**
     * The number of values.
     *
     * @param shapes the shapes
     * @return their total size
     */
    static long count(Map<String, Shape> shapes) {
        return shapes.values().stream().mapToLong(Shape::size).sum();
    }
}
