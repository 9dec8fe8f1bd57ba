package dev.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
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
import java.util.Set;

/**
 * LoRA in PEFT's format: any LoRA-type file whose {@code use_dora} is not true; per module {@code
 * lora_A.weight} A (r, k) and {@code lora_B.weight} B (d, r), r as the configuration gives it for
 * the module ({@code rank_pattern} applied), and with {@code "lora_bias": true} B's bias {@code
 * lora_B.bias} (d). The checks and the description of the two factors serve the methods built on
 * them (DoRA) too.
 */
public class LoraFileFormat implements AdapterFileFormat {

    /** PEFT's name of A for LoRA on an embedding (r, V). */
    public static final String EMBEDDING_A_NAME = "lora_embedding_A";

    /** PEFT's name of B for LoRA on an embedding (D, r). */
    public static final String EMBEDDING_B_NAME = "lora_embedding_B";

    /** PEFT's flag of the DoRA variant, which plain LoRA writes as false. */
    public static final String USE_DORA = "use_dora";

    @Override
    public Claim claim(AdapterFileKeys keys) {
        return keys.flag(USE_DORA) ? Claim.NONE : Claim.GENERIC;
    }

    @Override
    public Set<String> keys() {
        return Set.of(USE_DORA, LoraFactory.LORA_BIAS);
    }

    @Override
    public Map<String, String> options(AdapterFileKeys keys, Map<String, String> savedOptions) {
        return keys.flag(LoraFactory.LORA_BIAS) ? Map.of(LoraFactory.LORA_BIAS, "true") : Map.of();
    }

    @Override
    public Map<String, Object> configKeys(Map<String, String> options) {
        return Map.of(USE_DORA, false, LoraFactory.LORA_BIAS, Boolean.parseBoolean(options.get(LoraFactory.LORA_BIAS)));
    }

    @Override
    public List<String> problems(StoredModule module, AdapterConfig config) {
        List<String> problems = new ArrayList<>();
        boolean embedding = isEmbedding(module);
        String aName = embedding ? EMBEDDING_A_NAME : LowRankBranch.A_NAME;
        String bName = embedding ? EMBEDDING_B_NAME : LowRankBranch.B_NAME;
        Shape a = module.shapes().get(aName);
        Shape b = module.shapes().get(bName);
        if (a != null && a.dimension() == 4) {
            problems.add("is a convolution (" + aName + " has shape " + a + "): peft4j does not support LoRA on"
                    + " convolutional layers");
            return problems;
        }
        if (a == null) {
            problems.add(aName + " is missing");
        }
        if (b == null) {
            problems.add(bName + " is missing");
        }
        Set<String> kept = keptTensors(config, embedding);
        module.shapes().keySet().stream()
                .filter(name -> !kept.contains(name))
                .forEach(name -> problems.add("tensor " + name + " is not one that " + methodName()
                        + (embedding ? " stores for an embedding" : " stores")
                        + (name.equals(LoraAdapter.B_BIAS_NAME) && !embedding ? " unless lora_bias is true" : "")));
        Shape bias = module.shapes().get(LoraAdapter.B_BIAS_NAME);
        if (kept.contains(LoraAdapter.B_BIAS_NAME)) {
            if (bias == null) {
                problems.add(LoraAdapter.B_BIAS_NAME + " is missing (lora_bias is true)");
            } else if (b != null && b.dimension() == 2 && !bias.equals(new Shape(b.get(0)))) {
                problems.add(LoraAdapter.B_BIAS_NAME + " has shape " + bias + ", expected (" + b.get(0) + ") to match "
                        + bName + "'s rows");
            }
        }
        boolean aIsMatrix = isMatrix(a, aName, problems);
        boolean bIsMatrix = isMatrix(b, bName, problems);
        if (a == null || !aIsMatrix || !bIsMatrix) {
            return problems;
        }
        if (a.get(0) != config.rank()) {
            problems.add(aName + " has shape " + a + " but the config gives r = " + config.rank()
                    + " for this module (rank_pattern applied)");
        }
        if (b != null && b.get(1) != a.get(0)) {
            problems.add(bName + " has shape " + b + "; its columns must equal " + aName + "'s " + a.get(0) + " rows");
        }
        return problems;
    }

    /**
     * PEFT's LoRA on an embedding (V, D) stores A as {@code lora_embedding_A} (r, V) and B as {@code
     * lora_embedding_B} (D, r), without {@code .weight}; the update is {@code ΔE = s·(B·A)ᵀ}, LoRA on
     * the linear map {@code Eᵀ}.
     */
    @Override
    public boolean isEmbedding(StoredModule module) {
        return module.shapes().containsKey(EMBEDDING_A_NAME) || module.shapes().containsKey(EMBEDDING_B_NAME);
    }

    /** On an embedding, A and B go under PEFT's embedding names; everything else under its own. */
    @Override
    public Map<String, NDArray> tensors(Adapter adapter) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        adapter.peftParameters().forEach((name, parameter) -> {
            String stored = !adapter.target().embedding()
                    ? name
                    : name.equals(LowRankBranch.A_NAME)
                            ? EMBEDDING_A_NAME
                            : name.equals(LowRankBranch.B_NAME) ? EMBEDDING_B_NAME : name;
            tensors.put(stored, parameter.getArray());
        });
        return tensors;
    }

    @Override
    public List<String> storedNames(String parameterName) {
        return switch (parameterName) {
            case LowRankBranch.A_NAME -> List.of(LowRankBranch.A_NAME, EMBEDDING_A_NAME);
            case LowRankBranch.B_NAME -> List.of(LowRankBranch.B_NAME, EMBEDDING_B_NAME);
            default -> List.of(parameterName);
        };
    }

    @Override
    public List<String> describe(AdapterConfig config, Plugins plugins) {
        return List.of("r = " + config.rank() + ", α = " + number(config.alpha()) + ", scaling = " + config.scaling()
                + (config.useRsLora() ? " (α/√r, rsLoRA)" : " (α/r)"));
    }

    @Override
    public Map<String, Object> describe(StoredModule module, AdapterConfig config) {
        boolean embedding = isEmbedding(module);
        Shape a = module.shapes().get(embedding ? EMBEDDING_A_NAME : LowRankBranch.A_NAME);
        Shape b = module.shapes().get(embedding ? EMBEDDING_B_NAME : LowRankBranch.B_NAME);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put(">r", a != null ? dimension(a, 0) : dimension(b, 1));
        row.put(">scaling", config.scaling());
        row.put("lora_A", text(a));
        row.put("lora_B", text(b));
        row.put(">d", dimension(b, 0));
        row.put(">k", dimension(a, 1));
        return row;
    }

    /**
     * The tensor names a module of this method holds; others are reported.
     *
     * @param config the module's configuration
     * @param embedding whether the module adapts an embedding
     * @return the names
     */
    protected Set<String> keptTensors(AdapterConfig config, boolean embedding) {
        if (embedding) {
            return Set.of(EMBEDDING_A_NAME, EMBEDDING_B_NAME);
        }
        return Boolean.parseBoolean(config.options().get(LoraFactory.LORA_BIAS))
                ? Set.of(LowRankBranch.A_NAME, LowRankBranch.B_NAME, LoraAdapter.B_BIAS_NAME)
                : Set.of(LowRankBranch.A_NAME, LowRankBranch.B_NAME);
    }

    /**
     * The method's name, for messages.
     *
     * @return {@code LoRA}
     */
    protected String methodName() {
        return "LoRA";
    }

    /**
     * One axis of a shape for a table, {@code ?} when the shape is missing or too short.
     *
     * @param shape the shape, or null
     * @param axis the axis
     * @return the size or {@code ?}
     */
    protected static Object dimension(Shape shape, int axis) {
        return shape == null || shape.dimension() <= axis ? "?" : shape.get(axis);
    }

    /**
     * A shape for a table, {@code missing} when absent.
     *
     * @param shape the shape, or null
     * @return the text
     */
    protected static String text(Shape shape) {
        return shape == null ? "missing" : shape.toString();
    }

    private static String number(float value) {
        return new BigDecimal(Float.toString(value)).stripTrailingZeros().toPlainString();
    }

    private static boolean isMatrix(Shape shape, String tensor, List<String> problems) {
        if (shape != null && shape.dimension() != 2) {
            problems.add(tensor + " has shape " + shape + "; expected a matrix");
            return false;
        }
        return true;
    }
}
