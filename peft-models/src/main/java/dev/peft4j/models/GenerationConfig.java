package dev.peft4j.models;

import java.util.Set;

/**
 * How {@link Generator} chooses tokens, with transformers' meaning of each setting.
 *
 * @param maxNewTokens the most tokens to add to each prompt, ≥ 1
 * @param temperature 0 for greedy decoding (the most likely token); &gt; 0 to sample from
 *     softmax(logits / temperature)
 * @param topK when sampling, keep the k most likely tokens (ties included); 0 keeps all
 * @param topP when sampling, keep the smallest set of most likely tokens whose probability reaches
 *     p (nucleus sampling, Holtzman et al. 2020); 1 keeps all
 * @param seed the sampling seed: the same seed, model and prompts give the same tokens
 * @param stopIds token ids that end a prompt's generation besides the model's EOS ids
 */
public record GenerationConfig(
        int maxNewTokens, double temperature, int topK, double topP, long seed, Set<Long> stopIds) {

    /**
     * Validates the settings.
     *
     * @param maxNewTokens the most tokens to add to each prompt, ≥ 1
     * @param temperature 0 for greedy decoding (the most likely token); &gt; 0 to sample from
     *     softmax(logits / temperature)
     * @param topK when sampling, keep the k most likely tokens (ties included); 0 keeps all
     * @param topP when sampling, keep the smallest set of most likely tokens whose probability reaches
     *     p (nucleus sampling, Holtzman et al. 2020); 1 keeps all
     * @param seed the sampling seed: the same seed, model and prompts give the same tokens
     * @param stopIds token ids that end a prompt's generation besides the model's EOS ids
     * @throws IllegalArgumentException naming a value out of range
     */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be ≥ 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be ≥ 0 and finite, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be ≥ 0 (0 keeps every token), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        stopIds = Set.copyOf(stopIds);
    }

    /**
     * Greedy decoding.
     *
     * @param maxNewTokens the most tokens to add
     * @return the configuration
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1, 0, Set.of());
    }

    /**
     * Whether tokens are sampled rather than chosen greedily.
     *
     * @return whether sampling
     */
    public boolean sampling() {
        return temperature > 0;
    }
}
