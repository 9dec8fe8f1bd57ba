package dev.peft4j.core.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.peft4j.safetensors.AtomicFile;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads and writes PEFT's {@code adapter_config.json}.
 *
 * <p>Reading is strict about the keys peft4j uses: {@code peft_type}, {@code r} and {@code
 * target_modules} are required, and every value must have PEFT's JSON type. Other keys (a
 * variant's flags, a newer PEFT's keys) are kept for the adapter method to read ({@link
 * AdapterFileMethod}) and written back on save. Writing uses PEFT's
 * layout (sorted keys, two-space indent), so a file read and written back is unchanged; the write
 * is atomic.
 */
public final class PeftConfigFile {

    /** The file's name in an adapter directory. */
    public static final String FILE_NAME = "adapter_config.json";

    /** The largest file read; real ones have a few kilobytes. */
    private static final long MAX_BYTES = 16L << 20;

    private PeftConfigFile() {}

    /**
     * Reads and validates a file.
     *
     * @param file an {@code adapter_config.json}
     * @return the configuration
     * @throws PeftException naming the file and the key when the file is missing, is not JSON,
     *     lacks a required key or has a value of the wrong type
     */
    public static PeftAdapterConfig read(Path file) {
        return parse(readText(file), file.toString());
    }

    /**
     * Writes a file atomically, as PEFT lays it out.
     *
     * @param config the configuration
     * @param file where to write it; replaced if present
     * @throws PeftException when writing fails; the file is then unchanged
     */
    public static void write(PeftAdapterConfig config, Path file) {
        String text = new GsonBuilder()
                .setPrettyPrinting()
                .serializeNulls()
                .disableHtmlEscaping()
                .create()
                .toJson(toJson(config));
        AtomicFile.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses a configuration's JSON text.
     *
     * @param json the text
     * @param source where it came from, for messages
     * @return the configuration
     * @throws PeftException as {@link #read}
     */
    static PeftAdapterConfig parse(String json, String source) {
        JsonObject root = StrictJson.parseObject(new StringReader(json), source);
        Fields fields = new Fields(root, source);
        String peftType = fields.required("peft_type", StrictJson::string, "a string");
        if (!PeftAdapterConfig.LORA.equals(peftType)) {
            throw new PeftException(source + ": peft_type \"" + peftType
                    + "\" is not supported; peft4j reads \"LORA\" adapters (LoRA, DoRA and MoRA)");
        }
        int r = fields.required("r", PeftConfigFile::intValue, "an integer");
        JsonElement targets = fields.requiredElement("target_modules");
        Map<String, JsonElement> otherKeys = new LinkedHashMap<>();
        root.entrySet().stream()
                .filter(member -> !PeftAdapterConfig.MODELED_KEYS.contains(member.getKey()))
                .forEach(member -> otherKeys.put(member.getKey(), member.getValue()));
        PeftAdapterConfig config;
        try {
            config = new PeftAdapterConfig(
                    peftType,
                    r,
                    fields.optional("lora_alpha", StrictJson::number, "a number", 8.0),
                    fields.optional("lora_dropout", StrictJson::number, "a number", 0.0),
                    fields.optional("use_rslora", StrictJson::bool, "a boolean", false),
                    fields.optional(
                            "rank_pattern", e -> map(e, PeftConfigFile::intValue), "an object of integers", Map.of()),
                    fields.optional("alpha_pattern", e -> map(e, StrictJson::number), "an object of numbers", Map.of()),
                    StrictJson.string(targets).isPresent()
                            ? List.of()
                            : fields.required("target_modules", PeftConfigFile::strings, "a list of names or a string"),
                    StrictJson.string(targets).orElse(null),
                    fields.optional("fan_in_fan_out", StrictJson::bool, "a boolean", false),
                    fields.optional("modules_to_save", PeftConfigFile::strings, "a list of names or null", null),
                    fields.optional(
                            "bias",
                            PeftConfigFile::bias,
                            "one of \"none\", \"all\", \"lora_only\"",
                            PeftAdapterConfig.Bias.NONE),
                    fields.optional("init_lora_weights", PeftConfigFile::initText, "a boolean or a string", "true"),
                    fields.optional("base_model_name_or_path", StrictJson::string, "a string or null", null),
                    fields.optional("task_type", StrictJson::string, "a string or null", null),
                    otherKeys);
        } catch (IllegalArgumentException e) {
            throw new PeftException(source + ": " + e.getMessage(), e);
        }
        return config;
    }

    /**
     * The JSON object PEFT would write for a configuration, keys sorted.
     *
     * @param config the configuration
     * @return the object
     */
    static JsonObject toJson(PeftAdapterConfig config) {
        Map<String, JsonElement> members = new TreeMap<>(config.otherKeys());
        members.put("peft_type", new JsonPrimitive(config.peftType()));
        members.put("r", new JsonPrimitive(config.r()));
        members.put("lora_alpha", number(config.loraAlpha()));
        members.put("lora_dropout", number(config.loraDropout()));
        members.put("use_rslora", new JsonPrimitive(config.useRslora()));
        members.put("rank_pattern", object(config.rankPattern(), JsonPrimitive::new));
        members.put("alpha_pattern", object(config.alphaPattern(), PeftConfigFile::number));
        members.put(
                "target_modules",
                config.targetModulesRegex() != null
                        ? new JsonPrimitive(config.targetModulesRegex())
                        : array(config.targetModules()));
        members.put("fan_in_fan_out", new JsonPrimitive(config.fanInFanOut()));
        members.put(
                "modules_to_save", config.modulesToSave() == null ? JsonNull.INSTANCE : array(config.modulesToSave()));
        members.put("bias", new JsonPrimitive(config.bias().json()));
        members.put(
                "init_lora_weights",
                switch (config.initLoraWeights()) {
                    case "true", "false" -> new JsonPrimitive(Boolean.parseBoolean(config.initLoraWeights()));
                    default -> new JsonPrimitive(config.initLoraWeights());
                });
        members.put("base_model_name_or_path", nullable(config.baseModelNameOrPath()));
        members.put("task_type", nullable(config.taskType()));
        JsonObject object = new JsonObject();
        members.forEach(object::add);
        return object;
    }

    private static String readText(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new PeftException(
                        file + " has " + size + " bytes; an adapter_config.json has at most " + MAX_BYTES);
            }
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new PeftException(file + " does not exist", e);
        } catch (CharacterCodingException e) {
            throw new PeftException(file + " is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new PeftException("Cannot read " + file + ": " + e, e);
        }
    }

    private static Optional<Integer> intValue(JsonElement element) {
        return StrictJson.integer(element)
                .filter(n -> n.bitLength() < Integer.SIZE)
                .map(BigInteger::intValue);
    }

    private static Optional<List<String>> strings(JsonElement element) {
        if (!element.isJsonArray()) {
            return Optional.empty();
        }
        List<String> result = new ArrayList<>();
        for (JsonElement item : element.getAsJsonArray()) {
            Optional<String> text = StrictJson.string(item);
            if (text.isEmpty()) {
                return Optional.empty();
            }
            result.add(text.get());
        }
        return Optional.of(result);
    }

    private static <V> Optional<Map<String, V>> map(JsonElement element, Function<JsonElement, Optional<V>> value) {
        if (!element.isJsonObject()) {
            return Optional.empty();
        }
        Map<String, V> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> member : element.getAsJsonObject().entrySet()) {
            Optional<V> converted = value.apply(member.getValue());
            if (converted.isEmpty()) {
                return Optional.empty();
            }
            result.put(member.getKey(), converted.get());
        }
        return Optional.of(result);
    }

    private static Optional<PeftAdapterConfig.Bias> bias(JsonElement element) {
        return StrictJson.string(element)
                .flatMap(text -> Arrays.stream(PeftAdapterConfig.Bias.values())
                        .filter(bias -> bias.json().equals(text))
                        .findFirst());
    }

    private static Optional<String> initText(JsonElement element) {
        return StrictJson.bool(element).map(String::valueOf).or(() -> StrictJson.string(element));
    }

    private static JsonPrimitive number(double value) {
        boolean integral = value == Math.rint(value) && Math.abs(value) < 0x1p53;
        return integral ? new JsonPrimitive((long) value) : new JsonPrimitive(value);
    }

    private static <V> JsonObject object(Map<String, V> map, Function<V, JsonElement> value) {
        JsonObject object = new JsonObject();
        map.forEach((key, item) -> object.add(key, value.apply(item)));
        return object;
    }

    private static JsonArray array(List<String> items) {
        JsonArray array = new JsonArray();
        items.forEach(array::add);
        return array;
    }

    private static JsonElement nullable(String text) {
        return text == null ? JsonNull.INSTANCE : new JsonPrimitive(text);
    }

    /** Typed access to the members of the file's object, with messages naming the key and the file. */
    private record Fields(JsonObject root, String source) {

        JsonElement requiredElement(String key) {
            JsonElement value = root.get(key);
            if (value == null) {
                throw new PeftException(source + ": missing required key '" + key + "'");
            }
            if (value.isJsonNull()) {
                throw new PeftException(source + ": required key '" + key + "' is null");
            }
            return value;
        }

        <T> T required(String key, Function<JsonElement, Optional<T>> type, String expected) {
            JsonElement value = requiredElement(key);
            return type.apply(value).orElseThrow(() -> wrongType(key, expected, value));
        }

        <T> T optional(String key, Function<JsonElement, Optional<T>> type, String expected, T fallback) {
            JsonElement value = root.get(key);
            // PEFT writes null only for the keys whose default is null.
            if (value == null || (value.isJsonNull() && fallback == null)) {
                return fallback;
            }
            return type.apply(value).orElseThrow(() -> wrongType(key, expected, value));
        }

        private PeftException wrongType(String key, String expected, JsonElement value) {
            return new PeftException(
                    source + ": '" + key + "' must be " + expected + ", found " + StrictJson.preview(value));
        }
    }
}
