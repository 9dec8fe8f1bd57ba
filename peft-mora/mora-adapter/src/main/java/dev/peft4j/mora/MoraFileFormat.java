package dev.peft4j.mora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterFileKeys;
import dev.peft4j.spi.Plugins;
import dev.peft4j.spi.StoredModule;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * MoRA in kongds/MoRA's format: a LoRA-type file with {@code use_mora} true and {@code mora_type}
 * (1 when absent); per module the square M (r̂, r̂) as {@code lora_A.weight} and again as {@code
 * lora_B.weight}. MoRA has no α. Files peft4j writes also name the operator in its options, which
 * paper-only operators (no {@code mora_type}) need.
 */
public final class MoraFileFormat implements AdapterFileFormat {

    /** kongds/MoRA's flag of the method. */
    static final String USE_MORA = "use_mora";

    private static final String M_NAME = MoraAdapter.M_NAME;
    /** kongds/MoRA stores M again under LoRA's B name. */
    static final String M_COPY_NAME = "lora_B.weight";

    @Override
    public Claim claim(AdapterFileKeys keys) {
        return keys.flag(USE_MORA) ? Claim.SPECIFIC : Claim.NONE;
    }

    @Override
    public Set<String> keys() {
        return Set.of(USE_MORA, MoraOptions.MORA_TYPE);
    }

    @Override
    public Map<String, String> options(AdapterFileKeys keys, Map<String, String> savedOptions) {
        if (savedOptions.containsKey(MoraOptions.OPERATOR)) {
            return Map.of();
        }
        return Map.of(
                MoraOptions.MORA_TYPE,
                Long.toString(keys.integer(MoraOptions.MORA_TYPE).orElse(1)));
    }

    @Override
    public Map<String, Object> configKeys(Map<String, String> options) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put(USE_MORA, true);
        keys.put(MoraOptions.MORA_TYPE, Integer.parseInt(options.getOrDefault(MoraOptions.MORA_TYPE, "0")));
        return keys;
    }

    @Override
    public Map<String, NDArray> tensors(Adapter adapter) {
        Map<String, NDArray> tensors = AdapterFileFormat.super.tensors(adapter);
        tensors.put(M_COPY_NAME, tensors.get(M_NAME));
        return tensors;
    }

    @Override
    public List<String> problems(StoredModule module, AdapterConfig config) {
        List<String> problems = new ArrayList<>();
        Shape m = module.shapes().get(M_NAME);
        Shape copy = module.shapes().get(M_COPY_NAME);
        module.shapes().keySet().stream()
                .filter(name -> !name.equals(M_NAME) && !name.equals(M_COPY_NAME))
                .forEach(name -> problems.add("tensor " + name + " is not one that MoRA stores"));
        if (m == null) {
            problems.add(M_NAME + " is missing");
        } else if (m.dimension() != 2 || m.get(0) != m.get(1)) {
            problems.add("MoRA's " + M_NAME + " (M) must be square, has shape " + m);
        } else if (copy != null && !copy.equals(m)) {
            problems.add("MoRA's " + M_COPY_NAME + " must repeat " + M_NAME + "'s shape " + m + ", has " + copy);
        }
        return problems;
    }

    /** M once: its copy under {@code lora_B.weight} holds no values of its own. */
    @Override
    public long parameterCount(StoredModule module) {
        Shape m = module.shapes().getOrDefault(M_NAME, module.shapes().get(M_COPY_NAME));
        return m == null ? 0 : m.size();
    }

    @Override
    public List<String> describe(AdapterConfig config, Plugins plugins) {
        CompressionOperator operator = MoraOptions.of(config, plugins).operator();
        OptionalInt type = operator.moraType();
        return List.of(
                "operator: " + operator.name()
                        + (type.isPresent() ? " (mora_type " + type.getAsInt() + ")" : " (paper only)"),
                "r = " + config.rank() + " (requested; each module's r̂ is below), scaling = 1.0 (MoRA has no α; "
                        + "lora_alpha = "
                        + new BigDecimal(Float.toString(config.alpha()))
                                .stripTrailingZeros()
                                .toPlainString()
                        + " is ignored)");
    }

    @Override
    public Map<String, Object> describe(StoredModule module, AdapterConfig config) {
        Shape m = module.shapes().getOrDefault(M_NAME, module.shapes().get(M_COPY_NAME));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put(">r̂", m == null || m.dimension() == 0 ? "?" : m.get(0));
        row.put("M (lora_A)", m == null ? "missing" : m.toString());
        return row;
    }
}
