package dev.peft4j.core.io;

import com.google.gson.JsonElement;
import dev.peft4j.core.TargetModules;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.WeightInit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The contents of a Hugging Face PEFT {@code adapter_config.json} of the LoRA family: the fields
 * of PEFT's {@code LoraConfig} that every method of the family shares. Every other key (a
 * variant's flag such as {@code use_dora}, and keys peft4j does not model) is kept in {@link
 * #otherKeys()}, read by the method that owns it ({@link AdapterFileMethod}), and written back on
 * save.
 *
 * <p>Read and write it with {@link PeftConfigFile}; build one with {@link #builder()}.
 *
 * @param peftType {@code peft_type}, always {@code LORA}
 * @param r {@code r}, the default rank (positive)
 * @param loraAlpha {@code lora_alpha}, the default α (finite)
 * @param loraDropout {@code lora_dropout}, in [0, 1)
 * @param useRslora {@code use_rslora}: scaling α/√r instead of α/r
 * @param rankPattern {@code rank_pattern}: module pattern → rank, first match wins
 * @param alphaPattern {@code alpha_pattern}: module pattern → α, first match wins
 * @param targetModules {@code target_modules} when it is a list of names; empty when it is a string
 * @param targetModulesRegex {@code target_modules} when it is a string (a regex or {@code all-linear}); else null
 * @param fanInFanOut {@code fan_in_fan_out}: the base weights are stored (in, out), as in GPT-2's Conv1D
 * @param modulesToSave {@code modules_to_save}: modules stored whole; null when PEFT's is null
 * @param bias {@code bias}: which biases train
 * @param initLoraWeights {@code init_lora_weights}: {@code "true"}, {@code "false"} or PEFT's
 *     string, for example {@code "gaussian"}
 * @param baseModelNameOrPath {@code base_model_name_or_path}, or null
 * @param taskType {@code task_type}, for example {@code CAUSAL_LM}, or null
 * @param otherKeys every other key of the file, by name, with its JSON value
 */
public record PeftAdapterConfig(
        String peftType,
        int r,
        double loraAlpha,
        double loraDropout,
        boolean useRslora,
        Map<String, Integer> rankPattern,
        Map<String, Double> alphaPattern,
        List<String> targetModules,
        String targetModulesRegex,
        boolean fanInFanOut,
        List<String> modulesToSave,
        Bias bias,
        String initLoraWeights,
        String baseModelNameOrPath,
        String taskType,
        Map<String, JsonElement> otherKeys) {

    /**
     * The key under which peft4j keeps its method options ({@link AdapterConfig#options()}: a MoRA
     * operator, a DoRA setting) as a JSON object of strings; PEFT ignores it.
     */
    public static final String PEFT4J_OPTIONS = "peft4j_options";

    /**
     * The key under which peft4j records a method PEFT's flags cannot express (a third-party
     * adapter plugin's registry name); absent for LoRA, DoRA and MoRA.
     */
    public static final String PEFT4J_METHOD = "peft4j_method";

    /** The only {@code peft_type} peft4j reads; DoRA and MoRA are LoRA variants in PEFT's format. */
    public static final String LORA = "LORA";

    /** The keys this record models, in PEFT's spelling. */
    static final Set<String> MODELED_KEYS = Set.of(
            "peft_type",
            "r",
            "lora_alpha",
            "lora_dropout",
            "use_rslora",
            "rank_pattern",
            "alpha_pattern",
            "target_modules",
            "fan_in_fan_out",
            "modules_to_save",
            "bias",
            "init_lora_weights",
            "base_model_name_or_path",
            "task_type");

    /** PEFT's {@code bias} setting. */
    public enum Bias {
        /** No bias trains. */
        NONE("none"),
        /** Every bias of the model trains. */
        ALL("all"),
        /** The biases of the adapted layers train. */
        LORA_ONLY("lora_only");

        private final String json;

        Bias(String json) {
            this.json = json;
        }

        /**
         * The value as PEFT writes it.
         *
         * @return {@code none}, {@code all} or {@code lora_only}
         */
        public String json() {
            return json;
        }
    }

    /**
     * Validates the fields and freezes the collections.
     *
     * @param peftType {@code peft_type}, always {@code LORA}
     * @param r {@code r}, the default rank (positive)
     * @param loraAlpha {@code lora_alpha}, the default α (finite)
     * @param loraDropout {@code lora_dropout}, in [0, 1)
     * @param useRslora {@code use_rslora}: scaling α/√r instead of α/r
     * @param rankPattern {@code rank_pattern}: module pattern → rank, first match wins
     * @param alphaPattern {@code alpha_pattern}: module pattern → α, first match wins
     * @param targetModules {@code target_modules} when it is a list of names; empty when it is a string
     * @param targetModulesRegex {@code target_modules} when it is a string (a regex or {@code all-linear}); else null
     * @param fanInFanOut {@code fan_in_fan_out}: the base weights are stored (in, out), as in GPT-2's Conv1D
     * @param modulesToSave {@code modules_to_save}: modules stored whole; null when PEFT's is null
     * @param bias {@code bias}: which biases train
     * @param initLoraWeights {@code init_lora_weights}: {@code "true"}, {@code "false"} or PEFT's
     *     string, for example {@code "gaussian"}
     * @param baseModelNameOrPath {@code base_model_name_or_path}, or null
     * @param taskType {@code task_type}, for example {@code CAUSAL_LM}, or null
     * @param otherKeys every other key of the file, by name, with its JSON value
     * @throws IllegalArgumentException naming the PEFT key whose value is invalid
     */
    public PeftAdapterConfig {
        if (!LORA.equals(peftType)) {
            throw new IllegalArgumentException("peft_type must be \"LORA\" (LoRA, DoRA or MoRA), got " + peftType);
        }
        if (r <= 0) {
            throw new IllegalArgumentException("r must be positive, got " + r);
        }
        if (!Double.isFinite(loraAlpha)) {
            throw new IllegalArgumentException("lora_alpha must be finite, got " + loraAlpha);
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
        rankPattern = frozen(rankPattern, "rank_pattern");
        alphaPattern = frozen(alphaPattern, "alpha_pattern");
        rankPattern.forEach((key, rank) -> {
            if (rank <= 0) {
                throw new IllegalArgumentException(
                        "rank_pattern '" + key + "' must map to a positive rank, got " + rank);
            }
        });
        alphaPattern.forEach((key, alpha) -> {
            if (!Double.isFinite(alpha)) {
                throw new IllegalArgumentException("alpha_pattern '" + key + "' must map to a finite α, got " + alpha);
            }
        });
        targetModules = List.copyOf(Objects.requireNonNull(targetModules, "targetModules"));
        if (targetModules.isEmpty() == (targetModulesRegex == null)) {
            throw new IllegalArgumentException("target_modules must be either a list of names or one string, got "
                    + targetModules + " and " + targetModulesRegex);
        }
        if (targetModulesRegex != null && !TargetModules.ALL_LINEAR.equals(targetModulesRegex)) {
            TargetModules.regex(targetModulesRegex);
        }
        if (targetModules.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("target_modules must not hold blank names: " + targetModules);
        }
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
        Objects.requireNonNull(bias, "bias");
        Objects.requireNonNull(initLoraWeights, "initLoraWeights");
        otherKeys = Collections.unmodifiableMap(new LinkedHashMap<>(otherKeys));
        for (String key : otherKeys.keySet()) {
            if (MODELED_KEYS.contains(key)) {
                throw new IllegalArgumentException("'" + key + "' is a modeled key, not one of the other keys");
            }
        }
        JsonElement method = otherKeys.get(PEFT4J_METHOD);
        if (method != null
                && StrictJson.string(method).filter(name -> !name.isBlank()).isEmpty()) {
            throw new IllegalArgumentException(
                    PEFT4J_METHOD + " must be a string naming the adapter method, got " + StrictJson.preview(method));
        }
        options(otherKeys);
    }

    /**
     * The layers this adapter targets, for {@link dev.peft4j.core.PeftModel#addAdapter}.
     *
     * @return names, a regex matched against the whole path, or all linear layers but the output
     */
    public TargetModules targets() {
        if (targetModulesRegex == null) {
            return TargetModules.names(targetModules);
        }
        return TargetModules.ALL_LINEAR.equals(targetModulesRegex)
                ? TargetModules.allLinear()
                : TargetModules.regex(targetModulesRegex);
    }

    /**
     * The peft4j adapter configuration of a method: r and α with {@code rank_pattern} and {@code
     * alpha_pattern}, dropout, rsLoRA, the initialisation ({@code gaussian} → Gaussian, anything
     * else Kaiming-uniform: loaded weights replace it anyway) and the given options.
     *
     * @param method the adapter method's registry name
     * @param options the method's options
     * @return the configuration; {@link AdapterConfig#forModule} resolves one module's r and α
     */
    public AdapterConfig adapterConfig(String method, Map<String, String> options) {
        AdapterConfig.Builder builder = AdapterConfig.builder(method)
                .setRank(r)
                .optAlpha((float) loraAlpha)
                .optDropout((float) loraDropout)
                .optRsLora(useRslora)
                .optInit("gaussian".equals(initLoraWeights) ? WeightInit.GAUSSIAN : WeightInit.KAIMING_UNIFORM);
        rankPattern.forEach(builder::optRankPattern);
        alphaPattern.forEach((key, alpha) -> builder.optAlphaPattern(key, alpha.floatValue()));
        options.forEach(builder::optOption);
        return builder.build();
    }

    /**
     * The method options peft4j saved under {@value #PEFT4J_OPTIONS}; they name the MoRA
     * operator more precisely than {@code mora_type} (which paper-only operators lack) and carry
     * settings PEFT has no key for.
     *
     * @return the options, empty for files written by PEFT
     */
    public Map<String, String> peft4jOptions() {
        return options(otherKeys);
    }

    private static Map<String, String> options(Map<String, JsonElement> otherKeys) {
        JsonElement options = otherKeys.get(PEFT4J_OPTIONS);
        Map<String, String> parsed = new LinkedHashMap<>();
        if (options == null || options.isJsonNull()) {
            return parsed;
        }
        if (!options.isJsonObject()) {
            throw new IllegalArgumentException(
                    PEFT4J_OPTIONS + " must be an object of strings, got " + StrictJson.preview(options));
        }
        options.getAsJsonObject().entrySet().forEach(option -> {
            if (!option.getValue().isJsonPrimitive()) {
                throw new IllegalArgumentException(PEFT4J_OPTIONS + "." + option.getKey() + " must be a string, got "
                        + StrictJson.preview(option.getValue()));
            }
            parsed.put(option.getKey(), option.getValue().getAsString());
        });
        return parsed;
    }

    /**
     * Starts a builder with PEFT's defaults.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static <V> Map<String, V> frozen(Map<String, V> patterns, String what) {
        Map<String, V> copy = new LinkedHashMap<>(Objects.requireNonNull(patterns, what));
        copy.forEach((key, value) -> {
            Objects.requireNonNull(value, what + " '" + key + "'");
            AdapterConfig.patternMatches(key, "");
        });
        return Collections.unmodifiableMap(copy);
    }

    /** Builds a {@link PeftAdapterConfig}: {@code set*} is required, {@code opt*} optional. */
    public static final class Builder {
        private int r;
        private double loraAlpha = 8;
        private double loraDropout;
        private boolean useRslora;
        private Map<String, Integer> rankPattern = Map.of();
        private Map<String, Double> alphaPattern = Map.of();
        private List<String> targetModules = List.of();
        private String targetModulesRegex;
        private boolean fanInFanOut;
        private List<String> modulesToSave;
        private Bias bias = Bias.NONE;
        private String initLoraWeights = "true";
        private String baseModelNameOrPath;
        private String taskType;
        private Map<String, JsonElement> otherKeys = Map.of();

        private Builder() {}

        /**
         * Sets {@code r} (required).
         *
         * @param r the default rank
         * @return this builder
         */
        public Builder setR(int r) {
            this.r = r;
            return this;
        }

        /**
         * Sets {@code target_modules} to a list of names (this or {@link #setTargetModulesRegex} is required).
         *
         * @param names module names or dotted suffixes
         * @return this builder
         */
        public Builder setTargetModules(List<String> names) {
            this.targetModules = names;
            this.targetModulesRegex = null;
            return this;
        }

        /**
         * Sets {@code target_modules} to one string: a regex or {@code all-linear}.
         *
         * @param regex the string
         * @return this builder
         */
        public Builder setTargetModulesRegex(String regex) {
            this.targetModules = List.of();
            this.targetModulesRegex = regex;
            return this;
        }

        /**
         * Sets {@code lora_alpha} (default 8).
         *
         * @param loraAlpha α
         * @return this builder
         */
        public Builder optLoraAlpha(double loraAlpha) {
            this.loraAlpha = loraAlpha;
            return this;
        }

        /**
         * Sets {@code lora_dropout} (default 0).
         *
         * @param loraDropout the probability
         * @return this builder
         */
        public Builder optLoraDropout(double loraDropout) {
            this.loraDropout = loraDropout;
            return this;
        }

        /**
         * Sets {@code use_rslora} (default false).
         *
         * @param useRslora whether to scale by α/√r
         * @return this builder
         */
        public Builder optUseRslora(boolean useRslora) {
            this.useRslora = useRslora;
            return this;
        }

        /**
         * Sets {@code rank_pattern} (default empty); its iteration order is the match order.
         *
         * @param rankPattern pattern → rank
         * @return this builder
         */
        public Builder optRankPattern(Map<String, Integer> rankPattern) {
            this.rankPattern = rankPattern;
            return this;
        }

        /**
         * Sets {@code alpha_pattern} (default empty); its iteration order is the match order.
         *
         * @param alphaPattern pattern → α
         * @return this builder
         */
        public Builder optAlphaPattern(Map<String, Double> alphaPattern) {
            this.alphaPattern = alphaPattern;
            return this;
        }

        /**
         * Sets {@code fan_in_fan_out} (default false).
         *
         * @param fanInFanOut whether base weights are stored (in, out)
         * @return this builder
         */
        public Builder optFanInFanOut(boolean fanInFanOut) {
            this.fanInFanOut = fanInFanOut;
            return this;
        }

        /**
         * Sets {@code modules_to_save} (default null).
         *
         * @param modulesToSave module names, or null
         * @return this builder
         */
        public Builder optModulesToSave(List<String> modulesToSave) {
            this.modulesToSave = modulesToSave;
            return this;
        }

        /**
         * Sets {@code bias} (default none).
         *
         * @param bias which biases train
         * @return this builder
         */
        public Builder optBias(Bias bias) {
            this.bias = bias;
            return this;
        }

        /**
         * Sets {@code init_lora_weights} (default {@code "true"}).
         *
         * @param initLoraWeights {@code "true"}, {@code "false"} or PEFT's string
         * @return this builder
         */
        public Builder optInitLoraWeights(String initLoraWeights) {
            this.initLoraWeights = initLoraWeights;
            return this;
        }

        /**
         * Sets {@code base_model_name_or_path} (default null).
         *
         * @param baseModelNameOrPath the base model
         * @return this builder
         */
        public Builder optBaseModelNameOrPath(String baseModelNameOrPath) {
            this.baseModelNameOrPath = baseModelNameOrPath;
            return this;
        }

        /**
         * Sets {@code task_type} (default null).
         *
         * @param taskType for example {@code CAUSAL_LM}
         * @return this builder
         */
        public Builder optTaskType(String taskType) {
            this.taskType = taskType;
            return this;
        }

        /**
         * Sets the keys peft4j does not model, written back as they are (default none).
         *
         * @param otherKeys key → JSON value
         * @return this builder
         */
        public Builder optOtherKeys(Map<String, JsonElement> otherKeys) {
            this.otherKeys = otherKeys;
            return this;
        }

        /**
         * Builds and validates the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the PEFT key whose value is invalid
         */
        public PeftAdapterConfig build() {
            return new PeftAdapterConfig(
                    LORA,
                    r,
                    loraAlpha,
                    loraDropout,
                    useRslora,
                    rankPattern,
                    alphaPattern,
                    targetModules,
                    targetModulesRegex,
                    fanInFanOut,
                    modulesToSave,
                    bias,
                    initLoraWeights,
                    baseModelNameOrPath,
                    taskType,
                    otherKeys);
        }
    }
}
