package dev.peft4j.core.io;

import com.google.gson.JsonElement;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.AdapterFileFormat.Claim;
import dev.peft4j.spi.AdapterFileKeys;
import dev.peft4j.spi.OptionSpec;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The adapter method an {@code adapter_config.json} belongs to, and the adapter configuration it
 * gives: the method the file records as {@value PeftAdapterConfig#PEFT4J_METHOD}, else the one
 * whose {@link AdapterFileFormat} claims the file most strongly (a variant's flag such as {@code
 * use_dora} over plain LoRA). A key the file sets that neither the common LoRA keys nor the method
 * read would lose its meaning, and some values of read keys ({@code init_lora_weights = "pissa"})
 * change what the tensors mean in ways peft4j does not implement; both are kept in {@link
 * #unsupportedSettings()}, which loading and merging refuse.
 *
 * @param factory the method
 * @param config the configuration: the common keys, the options the method reads from its own
 *     keys, and the options peft4j saved (which take precedence)
 * @param unsupportedSettings one sentence per setting that peft4j cannot honour, naming the key, its
 *     value and what would be needed
 */
public record AdapterFileMethod(AdapterFactory factory, AdapterConfig config, List<String> unsupportedSettings) {

    /** Keys that only describe how a file was made, never what the adapter computes. */
    private static final Set<String> INFORMATIONAL_KEYS = Set.of(
            "auto_mapping",
            "inference_mode",
            "revision",
            "peft_version",
            "megatron_core",
            "qalora_group_size",
            "layers_pattern",
            PeftAdapterConfig.PEFT4J_OPTIONS,
            PeftAdapterConfig.PEFT4J_METHOD);

    /**
     * Freezes the list.
     *
     * @param factory the method
     * @param config the configuration
     * @param unsupportedSettings the settings peft4j cannot honour
     */
    public AdapterFileMethod {
        unsupportedSettings = List.copyOf(unsupportedSettings);
    }

    /**
     * Finds a file's method and configuration.
     *
     * @param file the parsed configuration
     * @param source the file, for messages
     * @param plugins the installed methods
     * @return the method
     * @throws PeftException when the recorded method is not installed, no installed method claims
     *     the file, two claim it equally, or a key the method reads has a wrong type or value
     */
    public static AdapterFileMethod of(PeftAdapterConfig file, String source, Plugins plugins) {
        AdapterFileKeys keys = keys(file, source);
        AdapterFactory factory = file.otherKeys().containsKey(PeftAdapterConfig.PEFT4J_METHOD)
                ? plugins.adapter(keys.string(PeftAdapterConfig.PEFT4J_METHOD).orElseThrow())
                : claimant(keys, plugins).orElseThrow(() -> unclaimed(file, source));
        AdapterFileFormat format = factory.fileFormat();
        Map<String, String> saved = file.peft4jOptions();
        Map<String, String> options = new LinkedHashMap<>(format.options(keys, saved));
        options.putAll(saved);
        try {
            OptionSpec.check(factory.name(), factory.options(), options);
        } catch (PeftException e) {
            throw new PeftException(source + ": " + e.getMessage(), e);
        }
        return new AdapterFileMethod(
                factory,
                file.adapterConfig(factory.name(), options),
                UnimplementedSettings.problems(
                        file.initLoraWeights(), unreadSettings(file, format.keys()), factory.name()));
    }

    private static PeftException unclaimed(PeftAdapterConfig file, String source) {
        List<String> set = unreadSettings(file, Set.of()).entrySet().stream()
                .map(key -> key.getKey() + " = " + StrictJson.preview(key.getValue()))
                .toList();
        return new PeftException(source + ": no installed adapter method reads this LoRA-type file"
                + (set.isEmpty() ? "" : ", which sets " + String.join(", ", set))
                + ". Add the jar of its method (plain LoRA: dev.peft4j:peft-lora)");
    }

    /** Each key beyond the modelled ones that the file sets and that is not among {@code read}, with its value. */
    private static Map<String, JsonElement> unreadSettings(PeftAdapterConfig file, Set<String> read) {
        Map<String, JsonElement> unread = new LinkedHashMap<>();
        file.otherKeys().forEach((key, value) -> {
            if (!INFORMATIONAL_KEYS.contains(key) && !read.contains(key) && isSet(value)) {
                unread.put(key, value);
            }
        });
        return unread;
    }

    /**
     * The method whose format claims a file's keys most strongly, if one does.
     *
     * @param keys the file's keys
     * @param plugins the installed methods
     * @return the method, or empty when none claims the file
     * @throws PeftException when two methods claim it equally strongly
     */
    static Optional<AdapterFactory> claimant(AdapterFileKeys keys, Plugins plugins) {
        Map<AdapterFactory, Claim> claims = new LinkedHashMap<>();
        plugins.adapters()
                .forEach(factory -> claims.put(factory, factory.fileFormat().claim(keys)));
        Claim strongest =
                claims.values().stream().max(Comparator.naturalOrder()).orElse(Claim.NONE);
        if (strongest == Claim.NONE) {
            return Optional.empty();
        }
        List<String> claiming = claims.entrySet().stream()
                .filter(claim -> claim.getValue() == strongest)
                .map(claim -> claim.getKey().name())
                .toList();
        if (claiming.size() > 1) {
            throw new PeftException(keys.source() + ": the adapter methods " + claiming + " all read it as theirs; "
                    + "a file may set the flag of one variant only");
        }
        return claims.entrySet().stream()
                .filter(claim -> claim.getValue() == strongest)
                .map(Map.Entry::getKey)
                .findFirst();
    }

    /**
     * The file's keys beyond the modelled ones, as plain Java values.
     *
     * @param file the parsed configuration
     * @param source the file, for messages
     * @return the keys
     */
    static AdapterFileKeys keys(PeftAdapterConfig file, String source) {
        Map<String, Object> values = new LinkedHashMap<>();
        file.otherKeys().forEach((key, value) -> values.put(key, JsonValues.toJava(value)));
        return new AdapterFileKeys(source, values);
    }

    private static boolean isSet(JsonElement value) {
        return !(value.isJsonNull()
                || StrictJson.bool(value).filter(b -> !b).isPresent()
                || (value.isJsonObject() && value.getAsJsonObject().isEmpty())
                || (value.isJsonArray() && value.getAsJsonArray().isEmpty()));
    }
}
