package dev.peft4j.models;

import dev.peft4j.spi.PeftException;
import java.nio.file.Path;
import java.util.List;

/**
 * A model's {@code config.json}, as Hugging Face transformers reads it for the supported
 * architectures.
 *
 * @param modelType {@code model_type}: {@code llama}, {@code mistral}, {@code qwen2} or {@code gpt2}
 * @param architecture the layout built for it
 * @param vocabSize V, rows of the token embedding
 * @param hiddenSize D
 * @param intermediateSize the MLP's inner width
 * @param layers decoder layers
 * @param heads attention heads H
 * @param kvHeads key/value heads (H for multi-head attention, fewer for grouped-query attention)
 * @param headDim the width of one head
 * @param maxPositions {@code max_position_embeddings} ({@code n_positions} for GPT-2): the longest input
 * @param normEps ε of RMSNorm or LayerNorm
 * @param ropeTheta the rotary base (Llama family)
 * @param ropeScaling {@code rope_scaling}, or {@code null}
 * @param tieWordEmbeddings whether the output layer is the token embedding
 * @param qkvBias whether q, k and v projections have biases
 * @param outputBias whether the attention output projection has a bias
 * @param mlpBias whether the MLP's projections have biases
 * @param slidingWindow the attention window, or 0 for none; longer inputs are refused
 * @param bosTokenId {@code bos_token_id}, or -1
 * @param eosTokenIds {@code eos_token_id} (one or several)
 * @param padTokenId {@code pad_token_id}, or -1
 */
public record ModelConfig(
        String modelType,
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int maxPositions,
        double normEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        int slidingWindow,
        long bosTokenId,
        List<Long> eosTokenIds,
        long padTokenId) {

    /** The {@code model_type}s peft4j builds. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("llama", "mistral", "qwen2", "gpt2");

    private static final List<String> GPT2_ACTIVATIONS = List.of("gelu_new", "gelu_pytorch_tanh");

    /**
     * Checks the shapes fit together.
     *
     * @param modelType {@code model_type}: {@code llama}, {@code mistral}, {@code qwen2} or {@code gpt2}
     * @param architecture the layout built for it
     * @param vocabSize V, rows of the token embedding
     * @param hiddenSize D
     * @param intermediateSize the MLP's inner width
     * @param layers decoder layers
     * @param heads attention heads H
     * @param kvHeads key/value heads (H for multi-head attention, fewer for grouped-query attention)
     * @param headDim the width of one head
     * @param maxPositions {@code max_position_embeddings} ({@code n_positions} for GPT-2): the longest input
     * @param normEps ε of RMSNorm or LayerNorm
     * @param ropeTheta the rotary base (Llama family)
     * @param ropeScaling {@code rope_scaling}, or {@code null}
     * @param tieWordEmbeddings whether the output layer is the token embedding
     * @param qkvBias whether q, k and v projections have biases
     * @param outputBias whether the attention output projection has a bias
     * @param mlpBias whether the MLP's projections have biases
     * @param slidingWindow the attention window, or 0 for none; longer inputs are refused
     * @param bosTokenId {@code bos_token_id}, or -1
     * @param eosTokenIds {@code eos_token_id} (one or several)
     * @param padTokenId {@code pad_token_id}, or -1
     */
    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (heads % kvHeads != 0) {
            throw new PeftException("config.json: num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (architecture == Architecture.LLAMA && headDim % 2 != 0) {
            throw new PeftException("config.json: head_dim " + headDim + " must be even for rotary positions");
        }
    }

    /**
     * Reads {@code config.json} of a model directory.
     *
     * @param directory the model directory
     * @return the configuration
     * @throws PeftException when the file is missing or malformed, the {@code model_type} or a value is
     *     not supported (the message lists what is)
     */
    public static ModelConfig read(Path directory) {
        ConfigJson json = ConfigJson.read(directory.resolve("config.json"));
        String modelType = json.string("model_type", null);
        if (modelType == null) {
            throw new PeftException(json.source() + " has no \"model_type\"; supported: " + SUPPORTED_MODEL_TYPES);
        }
        return switch (modelType) {
            case "llama", "mistral", "qwen2" -> llama(json, modelType);
            case "gpt2" -> gpt2(json);
            default ->
                throw new PeftException(json.source() + ": model_type '" + modelType + "' is not supported; supported: "
                        + SUPPORTED_MODEL_TYPES);
        };
    }

    private static ModelConfig llama(ConfigJson json, String modelType) {
        String activation = json.string("hidden_act", "silu");
        if (!activation.equals("silu")) {
            throw new PeftException(
                    json.source() + ": hidden_act '" + activation + "' is not supported; supported: [silu]");
        }
        int hidden = json.positiveInt("hidden_size");
        int heads = json.positiveInt("num_attention_heads");
        boolean qwen2 = modelType.equals("qwen2");
        boolean attentionBias = json.bool("attention_bias", false);
        int slidingWindow = 0;
        if (modelType.equals("mistral") || (qwen2 && json.bool("use_sliding_window", false))) {
            slidingWindow = json.positiveInt("sliding_window", 0);
        }
        return new ModelConfig(
                modelType,
                Architecture.LLAMA,
                json.positiveInt("vocab_size"),
                hidden,
                json.positiveInt("intermediate_size"),
                json.positiveInt("num_hidden_layers"),
                heads,
                json.positiveInt("num_key_value_heads", heads),
                json.positiveInt("head_dim", hidden / heads),
                json.positiveInt("max_position_embeddings", 2048),
                json.positiveDouble("rms_norm_eps", 1e-6),
                json.positiveDouble("rope_theta", 10000.0),
                RopeScaling.read(json.objectOrNull("rope_scaling"), json.source()),
                json.bool("tie_word_embeddings", false),
                qwen2 || attentionBias,
                !qwen2 && attentionBias,
                json.bool("mlp_bias", false),
                slidingWindow,
                firstOr(json.tokenIds("bos_token_id")),
                json.tokenIds("eos_token_id"),
                firstOr(json.tokenIds("pad_token_id")));
    }

    private static ModelConfig gpt2(ConfigJson json) {
        String activation = json.string("activation_function", "gelu_new");
        if (!GPT2_ACTIVATIONS.contains(activation)) {
            throw new PeftException(json.source() + ": activation_function '" + activation
                    + "' is not supported; supported: " + GPT2_ACTIVATIONS);
        }
        for (String key : List.of("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn")) {
            if (json.bool(key, false)) {
                throw new PeftException(json.source() + ": " + key + " = true is not supported (only false)");
            }
        }
        if (!json.bool("scale_attn_weights", true)) {
            throw new PeftException(json.source() + ": scale_attn_weights = false is not supported (only true)");
        }
        int hidden = json.positiveInt("n_embd");
        int heads = json.positiveInt("n_head");
        if (hidden % heads != 0) {
            throw new PeftException(json.source() + ": n_embd " + hidden + " is not a multiple of n_head " + heads);
        }
        return new ModelConfig(
                "gpt2",
                Architecture.GPT2,
                json.positiveInt("vocab_size"),
                hidden,
                json.positiveInt("n_inner", 4 * hidden),
                json.positiveInt("n_layer"),
                heads,
                heads,
                hidden / heads,
                json.positiveInt("n_positions", 1024),
                json.positiveDouble("layer_norm_epsilon", 1e-5),
                0,
                null,
                json.bool("tie_word_embeddings", true),
                true,
                true,
                true,
                0,
                firstOr(json.tokenIds("bos_token_id")),
                json.tokenIds("eos_token_id"),
                firstOr(json.tokenIds("pad_token_id")));
    }

    private static long firstOr(List<Long> ids) {
        return ids.isEmpty() ? -1 : ids.get(0);
    }
}
