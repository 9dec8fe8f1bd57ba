package dev.peft4j.models;

/** The layouts peft4j builds, each covering the Hugging Face {@code model_type}s that share it. */
public enum Architecture {
    /**
     * Llama's decoder: RMSNorm, rotary positions (rotate_half), grouped-query attention, SwiGLU
     * MLP; {@code llama}, {@code mistral} and {@code qwen2} (q/k/v biases).
     */
    LLAMA,
    /** GPT-2: learned positions, LayerNorm, GELU (tanh) MLP, Conv1D weights stored (in, out). */
    GPT2
}
