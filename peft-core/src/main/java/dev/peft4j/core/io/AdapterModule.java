package dev.peft4j.core.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The tensors of one adapted module in a PEFT adapter file: every tensor named {@code
 * base_model.model.<path>.<parameter>} whose parameter begins with a {@code lora_} segment.
 *
 * @param path the module's dotted path in the base model, e.g. {@code transformer.h.0.attn.c_attn}
 * @param tensors tensor name by parameter name relative to the module ({@code lora_A.weight}), in file order
 */
public record AdapterModule(String path, Map<String, String> tensors) {

    /**
     * Validates the path and freezes the map.
     *
     * @param path the module's path
     * @param tensors tensor name by parameter name
     */
    public AdapterModule {
        Objects.requireNonNull(path, "path");
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }
}
