package dev.peft4j.core.io;

import java.util.Objects;

/**
 * The tensors of one adapted module in a PEFT adapter file, by tensor name; a name is null when
 * the file lacks that tensor ({@link AdapterDirectory#problems()} says so).
 *
 * @param path the module's dotted path in the base model, e.g. {@code transformer.h.0.attn.c_attn}
 * @param loraA {@code base_model.model.<path>.lora_A.weight}: A (r, in), or MoRA's M (r̂, r̂)
 * @param loraB {@code base_model.model.<path>.lora_B.weight}: B (out, r), or M again for MoRA
 * @param magnitude DoRA's {@code base_model.model.<path>.lora_magnitude_vector} (out), in either of
 *     PEFT's spellings, or null for LoRA and MoRA
 */
public record AdapterModule(String path, String loraA, String loraB, String magnitude) {

    /**
     * Validates the path.
     *
     * @param path the module's dotted path in the base model, e.g. {@code transformer.h.0.attn.c_attn}
     * @param loraA {@code base_model.model.<path>.lora_A.weight}: A (r, in), or MoRA's M (r̂, r̂)
     * @param loraB {@code base_model.model.<path>.lora_B.weight}: B (out, r), or M again for MoRA
     * @param magnitude DoRA's {@code base_model.model.<path>.lora_magnitude_vector} (out), in either of
     *     PEFT's spellings, or null for LoRA and MoRA
     */
    public AdapterModule {
        Objects.requireNonNull(path, "path");
    }
}
