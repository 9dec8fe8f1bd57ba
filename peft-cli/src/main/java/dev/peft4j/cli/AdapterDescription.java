package dev.peft4j.cli;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.AdapterModule;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.SafetensorsFile;
import dev.peft4j.core.io.TensorSpec;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.spi.CompressionOperator;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What {@code peft4j inspect} prints about an adapter directory: the method, r, α and the scaling,
 * the configuration's module lists, each adapted module with its tensor shapes, d, k and
 * parameter count (MoRA: r̂ and M), the saved tensors, totals, and every problem found.
 */
final class AdapterDescription {

    private static final String UNKNOWN = "?";

    private AdapterDescription() {}

    /**
     * Describes an adapter.
     *
     * @param adapter the open adapter directory
     * @param plugins the registry, for MoRA's operator
     * @return the text, lines ending with a newline
     */
    static String of(AdapterDirectory adapter, Plugins plugins) {
        PeftAdapterConfig config = adapter.config();
        List<String> problems = new ArrayList<>(adapter.problems());
        boolean mora = config.useMora();
        StringBuilder text = new StringBuilder();
        text.append("PEFT adapter ").append(adapter.path()).append('\n');
        text.append("method: ").append(method(config, plugins, problems)).append('\n');
        if (mora) {
            text.append("r = ").append(config.r()).append(" (requested; each module's r̂ is below), ")
                    .append("scaling = 1.0 (MoRA has no α; lora_alpha = ").append(number(config.loraAlpha()))
                    .append(" is ignored)\n");
        } else {
            text.append("r = ").append(config.r()).append(", α = ").append(number(config.loraAlpha()))
                    .append(", scaling = ").append(config.adapterConfig().scaling())
                    .append(config.useRslora() ? " (α/√r, rsLoRA)" : " (α/r)").append('\n');
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
        text.append("modules_to_save: ").append(config.modulesToSave() == null ? "none" : config.modulesToSave()).append('\n');
        text.append("fan_in_fan_out: ").append(config.fanInFanOut())
                .append(config.fanInFanOut() ? " (base weights stored (in, out), as in GPT-2's Conv1D)" : "").append('\n');
        if (config.baseModelNameOrPath() != null) {
            text.append("base model: ").append(config.baseModelNameOrPath()).append('\n');
        }
        long adapted = modules(adapter, text);
        long saved = savedTensors(adapter, text);
        text.append(String.format(Locale.ROOT,
                "%nTotal: %d adapted module%s with %,d parameters, %d saved tensor%s with %,d; %,d parameters in all%n",
                adapter.modules().size(), plural(adapter.modules().size()), adapted,
                adapter.savedTensors().size(), plural(adapter.savedTensors().size()), saved, adapted + saved));
        if (problems.isEmpty()) {
            text.append("No problems found.\n");
        } else {
            text.append(problems.size()).append(" problem").append(plural(problems.size())).append(":\n");
            problems.forEach(problem -> text.append("  - ").append(problem).append('\n'));
        }
        return text.toString();
    }

    private static String method(PeftAdapterConfig config, Plugins plugins, List<String> problems) {
        if (!config.useMora()) {
            return config.method();
        }
        try {
            CompressionOperator operator = MoraOptions.of(config.adapterConfig(), plugins).operator();
            OptionalInt type = operator.moraType();
            return "mora, operator " + operator.name()
                    + (type.isPresent() ? " (mora_type " + type.getAsInt() + ")" : " (paper only)");
        } catch (PeftException e) {
            problems.add("MoRA operator: " + e.getMessage());
            return "mora, operator unavailable";
        }
    }

    /** Appends the adapted modules' table and returns their parameter count. */
    private static long modules(AdapterDirectory adapter, StringBuilder text) {
        PeftAdapterConfig config = adapter.config();
        SafetensorsFile weights = adapter.weights();
        boolean mora = config.useMora();
        boolean dora = config.useDora();
        TextTable table = mora
                ? new TextTable("module", ">r̂", "M (lora_A)", ">parameters")
                : dora
                        ? new TextTable("module", ">r", ">scaling", "lora_A", "lora_B", "magnitude", ">d", ">k", ">parameters")
                        : new TextTable("module", ">r", ">scaling", "lora_A", "lora_B", ">d", ">k", ">parameters");
        long total = 0;
        for (AdapterModule module : adapter.modules().values()) {
            Shape a = shape(weights, module.loraA());
            Shape b = shape(weights, module.loraB());
            Shape magnitude = shape(weights, module.magnitude());
            long parameters = mora ? size(a == null ? b : a) : size(a) + size(b) + size(magnitude);
            total += parameters;
            String count = String.format(Locale.ROOT, "%,d", parameters);
            if (mora) {
                table.row(module.path(), dimension(a, 0), text(a), count);
                continue;
            }
            Object rank = a != null ? dimension(a, 0) : dimension(b, 1);
            Object d = b != null ? dimension(b, 0) : dimension(magnitude, 0);
            float scaling = config.adapterConfig(module.path()).scaling();
            if (dora) {
                table.row(module.path(), rank, scaling, text(a), text(b), text(magnitude), d, dimension(a, 1), count);
            } else {
                table.row(module.path(), rank, scaling, text(a), text(b), d, dimension(a, 1), count);
            }
        }
        int count = adapter.modules().size();
        text.append('\n').append(count).append(" adapted module").append(plural(count)).append(":\n");
        text.append(table.format("  "));
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
            table.row(tensor.getKey(), spec.dtype(), spec.shape(), String.format(Locale.ROOT, "%,d", spec.elementCount()));
        }
        text.append('\n').append(saved.size()).append(" saved tensor").append(plural(saved.size()))
                .append(" (modules_to_save, biases), stored whole:\n");
        text.append(table.format("  "));
        return total;
    }

    private static Shape shape(SafetensorsFile weights, String tensor) {
        return tensor == null ? null : weights.tensor(tensor).shape();
    }

    private static long size(Shape shape) {
        return shape == null ? 0 : shape.size();
    }

    private static Object dimension(Shape shape, int axis) {
        return shape == null || shape.dimension() <= axis ? UNKNOWN : shape.get(axis);
    }

    private static String text(Shape shape) {
        return shape == null ? "missing" : shape.toString();
    }

    private static String number(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    private static String plural(long count) {
        return count == 1 ? "" : "s";
    }
}
