package dev.peft4j.cli;

import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.AdapterModule;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.spi.StoredModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code peft4j inspect} prints about an adapter directory: the method and what its format
 * says of the configuration, the configuration's module lists, each adapted module as the method
 * describes it with its parameter count, the saved tensors, totals, and every problem found. Every
 * method, built in or third-party, is described through its {@link AdapterFileFormat}.
 */
final class AdapterDescription {

    private AdapterDescription() {}

    /**
     * Describes an adapter.
     *
     * @param adapter the open adapter directory
     * @param plugins the registry, for methods with sub-plugins
     * @return the text, lines ending with a newline
     */
    static String of(AdapterDirectory adapter, Plugins plugins) {
        PeftAdapterConfig config = adapter.config();
        List<String> problems = new ArrayList<>(adapter.problems());
        problems.addAll(adapter.nonFiniteTensors());
        AdapterFileFormat format = adapter.method().factory().fileFormat();
        StringBuilder text = new StringBuilder();
        text.append("PEFT adapter ").append(adapter.path()).append('\n');
        text.append("method: ").append(adapter.method().factory().name()).append('\n');
        try {
            format.describe(adapter.method().config(), plugins)
                    .forEach(line -> text.append(line).append('\n'));
        } catch (PeftException e) {
            problems.add(e.getMessage());
        }
        if (!config.rankPattern().isEmpty()) {
            text.append("rank_pattern: ").append(config.rankPattern()).append('\n');
        }
        if (!config.alphaPattern().isEmpty()) {
            text.append("alpha_pattern: ").append(config.alphaPattern()).append('\n');
        }
        text.append("target_modules: ")
                .append(config.targetModulesRegex() != null ? config.targetModulesRegex() : config.targetModules())
                .append('\n');
        text.append("modules_to_save: ")
                .append(config.modulesToSave() == null ? "none" : config.modulesToSave())
                .append('\n');
        text.append("fan_in_fan_out: ")
                .append(config.fanInFanOut())
                .append(config.fanInFanOut() ? " (base weights stored (in, out), as in GPT-2's Conv1D)" : "")
                .append('\n');
        if (config.baseModelNameOrPath() != null) {
            text.append("base model: ").append(config.baseModelNameOrPath()).append('\n');
        }
        long adapted = modules(adapter, format, text);
        long saved = savedTensors(adapter, text);
        text.append(String.format(
                Locale.ROOT,
                "%nTotal: %d adapted module%s with %,d parameters, %d saved tensor%s with %,d; %,d parameters in all%n",
                adapter.modules().size(),
                plural(adapter.modules().size()),
                adapted,
                adapter.savedTensors().size(),
                plural(adapter.savedTensors().size()),
                saved,
                adapted + saved));
        if (problems.isEmpty()) {
            text.append("No problems found.\n");
        } else {
            text.append(problems.size())
                    .append(" problem")
                    .append(plural(problems.size()))
                    .append(":\n");
            problems.forEach(problem -> text.append("  - ").append(problem).append('\n'));
        }
        return text.toString();
    }

    /** Appends the adapted modules' table, with the columns the method's format gives, and returns their parameter count. */
    private static long modules(AdapterDirectory adapter, AdapterFileFormat format, StringBuilder text) {
        List<String> columns = null;
        List<Object[]> rows = new ArrayList<>();
        long total = 0;
        for (AdapterModule module : adapter.modules().values()) {
            StoredModule stored = adapter.stored(module);
            AdapterConfig config = adapter.moduleConfig(module.path());
            Map<String, Object> row = format.describe(stored, config);
            if (columns == null) {
                columns = new ArrayList<>(List.of("module"));
                columns.addAll(row.keySet());
                columns.add(">parameters");
            }
            List<Object> cells = new ArrayList<>(List.of(module.path()));
            cells.addAll(row.values());
            long parameters = format.parameterCount(stored);
            cells.add(String.format(Locale.ROOT, "%,d", parameters));
            rows.add(cells.toArray());
            total += parameters;
        }
        int count = adapter.modules().size();
        text.append('\n')
                .append(count)
                .append(" adapted module")
                .append(plural(count))
                .append(":\n");
        if (columns != null) {
            TextTable table = new TextTable(columns.toArray(String[]::new));
            rows.forEach(table::row);
            text.append(table.format("  "));
        }
        return total;
    }

    /** Appends the saved tensors' table, if any, and returns their parameter count. */
    private static long savedTensors(AdapterDirectory adapter, StringBuilder text) {
        Map<String, String> saved = adapter.savedTensors();
        if (saved.isEmpty()) {
            return 0;
        }
        TextTable table = new TextTable("tensor", "dtype", "shape", ">parameters");
        long total = 0;
        for (Map.Entry<String, String> tensor : saved.entrySet()) {
            TensorSpec spec = adapter.weights().tensor(tensor.getValue());
            total += spec.elementCount();
            table.row(
                    tensor.getKey(),
                    spec.dtype(),
                    spec.shape(),
                    String.format(Locale.ROOT, "%,d", spec.elementCount()));
        }
        text.append('\n')
                .append(saved.size())
                .append(" saved tensor")
                .append(plural(saved.size()))
                .append(" (modules_to_save, biases), stored whole:\n");
        text.append(table.format("  "));
        return total;
    }

    private static String plural(long count) {
        return count == 1 ? "" : "s";
    }
}
