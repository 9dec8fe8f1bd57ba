package dev.peft4j.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The keys of a Hugging Face PEFT {@code adapter_config.json}, as plain Java values, for an {@link
 * AdapterFileFormat} to read its own: JSON strings are {@code String}, booleans {@code Boolean},
 * integral numbers {@code Long}, other numbers {@code Double}, arrays {@code List}, objects {@code
 * Map} and {@code null} is {@code null}.
 *
 * @param source where the keys were read, for messages (a file path)
 * @param values the keys, in file order
 */
public record AdapterFileKeys(String source, Map<String, Object> values) {

    /**
     * Freezes the map.
     *
     * @param source where the keys were read
     * @param values the keys
     */
    public AdapterFileKeys {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * A boolean key.
     *
     * @param key the key
     * @return its value; false when absent or {@code null}
     * @throws PeftException naming the key and the file when the value is not a boolean
     */
    public boolean flag(String key) {
        Object value = values.get(key);
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean bool) {
            return bool;
        }
        throw wrongType(key, "a boolean", value);
    }

    /**
     * An integer key.
     *
     * @param key the key
     * @return its value, or empty when absent or {@code null}
     * @throws PeftException naming the key and the file when the value is not an integer
     */
    public OptionalLong integer(String key) {
        Object value = values.get(key);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (value instanceof Long number) {
            return OptionalLong.of(number);
        }
        throw wrongType(key, "an integer", value);
    }

    /**
     * A string key.
     *
     * @param key the key
     * @return its value, or empty when absent or {@code null}
     * @throws PeftException naming the key and the file when the value is not a string
     */
    public Optional<String> string(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof String text) {
            return Optional.of(text);
        }
        throw wrongType(key, "a string", value);
    }

    private PeftException wrongType(String key, String expected, Object value) {
        return new PeftException(source + ": \"" + key + "\" must be " + expected + ", found " + value);
    }
}
