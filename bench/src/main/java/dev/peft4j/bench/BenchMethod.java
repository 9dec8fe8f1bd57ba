package dev.peft4j.bench;

import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a benchmark runs on its linear layer: the frozen layer alone ({@code base}), full
 * fine-tuning ({@code fft}), or an adapter: {@code lora}, {@code dora}, {@code dora-cached} (DoRA
 * with {@code dora_eval_cache=true}) or {@code mora-OPERATOR} (MoRA with that compression operator).
 *
 * @param name the name benchmarks are parameterised by
 * @param adapter the adapter method's registry name, or {@code null} for {@code base} and {@code fft}
 * @param options the adapter's method options
 */
public record BenchMethod(String name, String adapter, Map<String, String> options) {

    /** The frozen layer alone. */
    public static final BenchMethod BASE = new BenchMethod("base", null, Map.of());
    /** Full fine-tuning: the layer's weight and bias train. */
    public static final BenchMethod FFT = new BenchMethod("fft", null, Map.of());
    /** LoRA. */
    public static final BenchMethod LORA = new BenchMethod("lora", "lora", Map.of());
    /** DoRA without its eval cache. */
    public static final BenchMethod DORA = new BenchMethod("dora", "dora", Map.of());
    /** DoRA with its eval cache. */
    public static final BenchMethod DORA_CACHED =
            new BenchMethod("dora-cached", "dora", Map.of("dora_eval_cache", "true"));

    private static final String MORA_PREFIX = "mora-";

    /**
     * Freezes the options.
     *
     * @param name the name benchmarks are parameterised by
     * @param adapter the adapter method's registry name, or {@code null} for {@code base} and {@code fft}
     * @param options the adapter's method options
     */
    public BenchMethod {
        options = Map.copyOf(options);
    }

    /**
     * MoRA with a compression operator.
     *
     * @param operator the operator's registry name
     * @return the method {@code mora-OPERATOR}
     */
    public static BenchMethod mora(String operator) {
        return new BenchMethod(MORA_PREFIX + operator, "mora", Map.of("operator", operator));
    }

    /**
     * Reads a method name.
     *
     * @param name {@code base}, {@code fft}, {@code lora}, {@code dora}, {@code dora-cached} or {@code
     *     mora-OPERATOR}
     * @return the method
     * @throws IllegalArgumentException naming the accepted names
     */
    public static BenchMethod parse(String name) {
        for (BenchMethod fixed : List.of(BASE, FFT, LORA, DORA, DORA_CACHED)) {
            if (fixed.name.equals(name)) {
                return fixed;
            }
        }
        if (name.startsWith(MORA_PREFIX) && name.length() > MORA_PREFIX.length()) {
            return mora(name.substring(MORA_PREFIX.length()));
        }
        throw new IllegalArgumentException("Unknown benchmark method '" + name
                + "'. Expected base, fft, lora, dora, dora-cached or mora-OPERATOR");
    }

    /**
     * Every method the registry offers: base, fft, LoRA, DoRA (both ways) and MoRA with each operator.
     *
     * @param plugins the registry
     * @return the methods, operators in the registry's order
     */
    public static List<BenchMethod> all(Plugins plugins) {
        List<BenchMethod> methods = new ArrayList<>(List.of(BASE, FFT, LORA, DORA, DORA_CACHED));
        for (CompressionOperator operator : MoraOperators.of(plugins).all()) {
            methods.add(mora(operator.name()));
        }
        return methods;
    }

    /**
     * Whether the method puts an adapter on the layer.
     *
     * @return false for {@code base} and {@code fft}
     */
    public boolean isAdapter() {
        return adapter != null;
    }

    /**
     * Whether the method has parameters to train.
     *
     * @return false for {@code base} only
     */
    public boolean isTrainable() {
        return !BASE.equals(this);
    }

    /**
     * The adapter's configuration, α = 2r as in the memorize experiment.
     *
     * @param rank r
     * @return the configuration
     * @throws IllegalStateException for {@code base} and {@code fft}
     */
    public AdapterConfig config(int rank) {
        if (!isAdapter()) {
            throw new IllegalStateException("Method '" + name + "' has no adapter");
        }
        AdapterConfig.Builder builder =
                AdapterConfig.builder(adapter).setRank(rank).optAlpha(2f * rank);
        options.forEach(builder::optOption);
        return builder.build();
    }

    @Override
    public String toString() {
        return name;
    }
}
