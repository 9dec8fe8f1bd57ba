package dev.peft4j.spi;

import java.util.List;
import java.util.Objects;

/**
 * One kind of a method's sub-plugins as a listing shows it ({@link AdapterFactory#subPlugins}).
 *
 * @param title the kind, for example {@code MoRA operators}
 * @param rows one line per plugin: its name, what sets it apart and its class
 */
public record PluginSection(String title, List<String> rows) {

    /**
     * Validates the fields.
     *
     * @param title the kind
     * @param rows one line per plugin
     */
    public PluginSection {
        if (title == null || title.isBlank()) {
            throw new IllegalArgumentException("A plugin section needs a title");
        }
        rows = List.copyOf(Objects.requireNonNull(rows, "rows"));
    }
}
