package dev.peft4j.core.io;

import com.google.gson.JsonElement;
import dev.peft4j.safetensors.StrictJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PEFT settings that change what an adapter's tensors mean and that peft4j does not implement. A
 * file with one of them cannot be loaded or merged as if the setting were absent: the result would
 * be silently wrong. Each problem names the key, its value and what would be needed instead.
 */
final class UnimplementedSettings {

    /**
     * The {@code init_lora_weights} values whose initialisation also rewrites the base weights, so
     * that the saved A and B are relative to a residual base rather than to the original model.
     */
    private static final Map<String, String> RESIDUAL_BASE_INITS = Map.of(
            "pissa", "PiSSA",
            "olora", "OLoRA",
            "corda", "CorDA");

    private static final String PISSA_ITERATIONS_PREFIX = "pissa_niter_";

    /** What peft4j would need to honour a key, for keys whose meaning is known. */
    private static final Map<String, String> NEEDS = Map.of(
            "layer_replication",
            "the base model's layers rebuilt in the replicated order PEFT's layer_replication makes before"
                    + " the adapter applies; peft4j loads the layers as stored, so the adapted modules would not line up",
            "loftq_config",
            "the LoftQ-quantised base weights this adapter corrects; merge or load it with PEFT into that base",
            "corda_config",
            "the CorDA residual base weights this adapter was built on; convert the adapter with PEFT first",
            "target_parameters",
            "LoRA on bare parameters (for example mixture-of-experts weights), which peft4j does not implement",
            "trainable_token_indices",
            "PEFT's trainable token embeddings (TrainableTokens), which peft4j does not implement",
            "alora_invocation_tokens",
            "activated LoRA, which applies the adapter only after its invocation tokens; peft4j applies an adapter"
                    + " to every token, and no merged weight can express it",
            "use_qalora",
            "QA-LoRA's pooled input for a quantised base, which peft4j does not implement",
            "megatron_config",
            "Megatron's parallel linear layers, which peft4j does not implement");

    private static final Set<String> NO_CHANGE_INITS = Set.of("true", "false", "gaussian", "eva", "orthogonal");

    private UnimplementedSettings() {}

    /**
     * The problems of a configuration: an {@code init_lora_weights} that rewrites the base, and each
     * set key that nothing reads.
     *
     * @param initLoraWeights the file's {@code init_lora_weights} as text
     * @param unread each set key nothing reads, with its value
     * @param method the method's name, for messages
     * @return one sentence per problem
     */
    static List<String> problems(String initLoraWeights, Map<String, JsonElement> unread, String method) {
        List<String> problems = new ArrayList<>();
        initProblem(initLoraWeights).ifPresent(problems::add);
        unread.forEach((key, value) -> {
            String setting = key + " = " + StrictJson.preview(value);
            String need = NEEDS.get(key);
            problems.add(
                    need == null
                            ? setting + " is set, but the adapter method '" + method
                                    + "' does not read it: its meaning would be lost"
                            : setting + " changes what the adapter computes and is not implemented; it would need "
                                    + need);
        });
        return problems;
    }

    private static Optional<String> initProblem(String value) {
        if (NO_CHANGE_INITS.contains(value)) {
            return Optional.empty();
        }
        String setting = "init_lora_weights = \"" + value + "\"";
        String residual = value.startsWith(PISSA_ITERATIONS_PREFIX) ? "PiSSA" : RESIDUAL_BASE_INITS.get(value);
        if (residual != null) {
            return Optional.of(setting + ": " + residual + " rewrote the base weights as W0 − s·B₀A₀ when"
                    + " it initialised the adapter, so these tensors fit that residual base, not the original model;"
                    + " merging them into the original weights would be wrong. Convert the adapter with PEFT"
                    + " (save_pretrained(..., path_initial_model_for_weight_conversion=<the initial adapter>)) into"
                    + " a plain LoRA adapter of the original weights, or use the residual base PEFT saved");
        }
        if ("loftq".equals(value)) {
            return Optional.of(setting + ": LoftQ replaced the base weights by their quantised"
                    + " approximation, so these tensors correct that base, not the original model; merge or load"
                    + " the adapter with PEFT into the LoftQ base it was made for");
        }
        return Optional.of(setting + " is an initialisation peft4j does not know; it may have rewritten"
                + " the base weights. Known: " + NO_CHANGE_INITS + " (tensors relative to the original weights)");
    }
}
