package dev.peft4j.spi;

import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One adapted module as an adapter file stores it: its tensors' shapes by PEFT parameter name
 * relative to the module ({@code lora_A.weight}, {@code lora_magnitude_vector}, …), as found.
 *
 * @param path the module's dotted path in the base model, for example {@code model.layers.0.self_attn.q_proj}
 * @param shapes each stored tensor's shape, by parameter name, in file order
 */
public record StoredModule(String path, Map<String, Shape> shapes) {

    /**
     * Validates the path and freezes the map.
     *
     * @param path the module's path
     * @param shapes the tensors' shapes
     */
    public StoredModule {
        Objects.requireNonNull(path, "path");
        shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
    }

    /**
     * The number of stored values.
     *
     * @return the sum of the tensors' sizes
     */
    public long parameterCount() {
        return shapes.values().stream().mapToLong(Shape::size).sum();
    }
}
