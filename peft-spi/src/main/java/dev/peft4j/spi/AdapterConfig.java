package dev.peft4j.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The immutable configuration of one adapter method, shared by every layer it is applied to.
 *
 * <p>The common fields follow Hugging Face PEFT's {@code LoraConfig}; method-specific settings
 * (a MoRA operator, a DoRA option, a third-party plugin's knob) go in {@link #options()}.
 *
 * @param method the adapter's registry name, for example {@code lora}
 * @param rank r, the requested rank (positive)
 * @param alpha α, the scaling numerator (finite)
 * @param dropout the dropout probability on the adapter's input, in [0, 1)
 * @param useRsLora whether the scaling is α/√r (rsLoRA) instead of α/r
 * @param init how the down projection is initialised
 * @param rankPattern PEFT's {@code rank_pattern}: module-name patterns → r for the modules they
 *     match (see {@link #forModule})
 * @param alphaPattern PEFT's {@code alpha_pattern}: module-name patterns → α
 * @param options method-specific settings by name
 */
public record AdapterConfig(
        String method,
        int rank,
        float alpha,
        float dropout,
        boolean useRsLora,
        WeightInit init,
        Map<String, Integer> rankPattern,
        Map<String, Float> alphaPattern,
        Map<String, String> options) {

    /**
     * Validates the fields and freezes the options.
     *
     * @param method the adapter's registry name, for example {@code lora}
     * @param rank r, the requested rank (positive)
     * @param alpha α, the scaling numerator (finite)
     * @param dropout the dropout probability on the adapter's input, in [0, 1)
     * @param useRsLora whether the scaling is α/√r (rsLoRA) instead of α/r
     * @param init how the down projection is initialised
     * @param rankPattern PEFT's {@code rank_pattern}: module-name patterns → r for the modules they
     *     match (see {@link #forModule})
     * @param alphaPattern PEFT's {@code alpha_pattern}: module-name patterns → α
     * @param options method-specific settings by name
     */
    public AdapterConfig {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("Adapter method name must not be blank");
        }
        if (rank <= 0) {
            throw new IllegalArgumentException("Rank r must be positive, got " + rank);
        }
        if (!Float.isFinite(alpha)) {
            throw new IllegalArgumentException("lora_alpha must be finite, got " + alpha);
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("Dropout must be in [0, 1), got " + dropout);
        }
        Objects.requireNonNull(init, "init");
        rankPattern =
                Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(rankPattern, "rankPattern")));
        alphaPattern =
                Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(alphaPattern, "alphaPattern")));
        options = Map.copyOf(Objects.requireNonNull(options, "options"));
        rankPattern.forEach((key, value) -> {
            patternMatches(key, "");
            if (value == null || value <= 0) {
                throw new IllegalArgumentException("rank_pattern['" + key + "'] must be a positive rank, got " + value);
            }
        });
        alphaPattern.forEach((key, value) -> {
            patternMatches(key, "");
            if (value == null || !Float.isFinite(value)) {
                throw new IllegalArgumentException("alpha_pattern['" + key + "'] must be finite, got " + value);
            }
        });
    }

    /**
     * The configuration of one module: the first {@code rank_pattern} and {@code alpha_pattern} key
     * that matches the module's path gives its r and α, as PEFT matches them ({@code
     * re.match(rf"(.*\.)?({key})$", path)}: the key, a regular expression, must match the path's
     * last dotted segments).
     *
     * @param path the module's dotted path
     * @return the configuration with that module's r and α and no patterns
     */
    public AdapterConfig forModule(String path) {
        int r = firstMatch(rankPattern, path, rank);
        float a = firstMatch(alphaPattern, path, alpha);
        return new AdapterConfig(method, r, a, dropout, useRsLora, init, Map.of(), Map.of(), options);
    }

    private static <V> V firstMatch(Map<String, V> pattern, String path, V fallback) {
        for (Map.Entry<String, V> entry : pattern.entrySet()) {
            if (patternMatches(entry.getKey(), path)) {
                return entry.getValue();
            }
        }
        return fallback;
    }

    /**
     * Whether a {@code rank_pattern} or {@code alpha_pattern} key selects a module, by PEFT's rule
     * {@code re.match(rf"(.*\.)?({key})$", path)}: the key, a regular expression, must match the
     * whole path or its tail after a dot. So {@code q_proj} selects {@code
     * model.layers.0.self_attn.q_proj} but not {@code model.q_proj_x}.
     *
     * @param key the pattern key
     * @param path the module's dotted path
     * @return whether it matches
     * @throws IllegalArgumentException when the key is not a valid regular expression
     */
    public static boolean patternMatches(String key, String path) {
        try {
            return Pattern.compile("(.*\\.)?(" + key + ")").matcher(path).matches();
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("Invalid module pattern '" + key + "': " + e.getDescription(), e);
        }
    }

    /**
     * The factor applied to the low-rank update: α/r, or α/√r with rsLoRA.
     *
     * @return the scaling s
     */
    public float scaling() {
        return useRsLora ? (float) (alpha / Math.sqrt(rank)) : alpha / rank;
    }

    /**
     * A method-specific option, or a default.
     *
     * @param name the option's name
     * @param defaultValue the value when the option is absent
     * @return the option's value
     */
    public String option(String name, String defaultValue) {
        return options.getOrDefault(name, defaultValue);
    }

    /**
     * A builder holding this configuration, to derive a variant.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder builder = builder(method)
                .setRank(rank)
                .optAlpha(alpha)
                .optDropout(dropout)
                .optRsLora(useRsLora)
                .optInit(init);
        builder.rankPattern.putAll(rankPattern);
        builder.alphaPattern.putAll(alphaPattern);
        builder.options.putAll(options);
        return builder;
    }

    /**
     * Starts a builder for a method.
     *
     * @param method the adapter's registry name
     * @return the builder
     */
    public static Builder builder(String method) {
        return new Builder(method);
    }

    /** Builds an {@link AdapterConfig}: {@code set*} is required, {@code opt*} optional. */
    public static final class Builder {
        private final String method;
        private int rank;
        private float alpha = 8f;
        private float dropout;
        private boolean useRsLora;
        private WeightInit init = WeightInit.KAIMING_UNIFORM;
        private final Map<String, Integer> rankPattern = new LinkedHashMap<>();
        private final Map<String, Float> alphaPattern = new LinkedHashMap<>();
        private final Map<String, String> options = new TreeMap<>();

        private Builder(String method) {
            this.method = method;
        }

        /**
         * Sets the rank r (required).
         *
         * @param rank r
         * @return this builder
         */
        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        /**
         * Sets α (default 8, as in PEFT).
         *
         * @param alpha α
         * @return this builder
         */
        public Builder optAlpha(float alpha) {
            this.alpha = alpha;
            return this;
        }

        /**
         * Sets the dropout probability on the adapter's input (default 0).
         *
         * @param dropout the probability
         * @return this builder
         */
        public Builder optDropout(float dropout) {
            this.dropout = dropout;
            return this;
        }

        /**
         * Uses rsLoRA's α/√r scaling (default off).
         *
         * @param useRsLora whether to use it
         * @return this builder
         */
        public Builder optRsLora(boolean useRsLora) {
            this.useRsLora = useRsLora;
            return this;
        }

        /**
         * Sets the initialisation of the down projection (default Kaiming-uniform).
         *
         * @param init the initialisation
         * @return this builder
         */
        public Builder optInit(WeightInit init) {
            this.init = init;
            return this;
        }

        /**
         * Gives the modules a pattern matches another rank (PEFT's {@code rank_pattern}); the first
         * pattern added that matches wins.
         *
         * @param pattern a regular expression matched against a module path's last segments
         * @param rank r for those modules
         * @return this builder
         */
        public Builder optRankPattern(String pattern, int rank) {
            rankPattern.put(Objects.requireNonNull(pattern, "pattern"), rank);
            return this;
        }

        /**
         * Gives the modules a pattern matches another α (PEFT's {@code alpha_pattern}).
         *
         * @param pattern a regular expression matched against a module path's last segments
         * @param alpha α for those modules
         * @return this builder
         */
        public Builder optAlphaPattern(String pattern, float alpha) {
            alphaPattern.put(Objects.requireNonNull(pattern, "pattern"), alpha);
            return this;
        }

        /**
         * Sets a method-specific option.
         *
         * @param name the option's name
         * @param value its value
         * @return this builder
         */
        public Builder optOption(String name, String value) {
            options.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, name));
            return this;
        }

        /**
         * Builds and validates the configuration.
         *
         * @return the configuration
         */
        public AdapterConfig build() {
            return new AdapterConfig(method, rank, alpha, dropout, useRsLora, init, rankPattern, alphaPattern, options);
        }
    }
}
