package dev.peft4j.models;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Typed reads from a JSON object of a model directory's file, with messages that name the file and key. */
final class ConfigJson {

    private final JsonObject object;
    private final String source;

    private ConfigJson(JsonObject object, String source) {
        this.object = object;
        this.source = source;
    }

    /**
     * Reads a file holding one JSON object.
     *
     * @param file the file
     * @return its object
     * @throws PeftException when the file is missing, unreadable or not a JSON object
     */
    static ConfigJson read(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new ConfigJson(StrictJson.parseObject(reader, file.toString()), file.toString());
        } catch (NoSuchFileException e) {
            throw new PeftException(
                    "No " + file.getFileName() + " in " + file.getParent()
                            + ": a Hugging Face model directory holds config.json and model.safetensors",
                    e);
        } catch (IOException e) {
            throw new PeftException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Wraps an object read elsewhere.
     *
     * @param object the object
     * @param source what it is, for messages
     * @return the wrapper
     */
    static ConfigJson of(JsonObject object, String source) {
        return new ConfigJson(object, source);
    }

    String source() {
        return source;
    }

    boolean has(String key) {
        return object.has(key) && !object.get(key).isJsonNull();
    }

    JsonObject objectOrNull(String key) {
        if (!has(key)) {
            return null;
        }
        JsonElement value = object.get(key);
        if (!value.isJsonObject()) {
            throw invalid(key, value, "an object or null");
        }
        return value.getAsJsonObject();
    }

    String string(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = object.get(key);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw invalid(key, value, "a string");
        }
        return value.getAsString();
    }

    int positiveInt(String key) {
        if (!has(key)) {
            throw new PeftException(source + " has no \"" + key + "\"; it is needed to build the model");
        }
        return positiveInt(key, 0);
    }

    int positiveInt(String key, int fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = object.get(key);
        long number = integer(key, value);
        if (number <= 0 || number > Integer.MAX_VALUE) {
            throw invalid(key, value, "a positive integer");
        }
        return (int) number;
    }

    double positiveDouble(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = object.get(key);
        if (!isNumber(value) || !(value.getAsDouble() > 0) || Double.isInfinite(value.getAsDouble())) {
            throw invalid(key, value, "a positive number");
        }
        return value.getAsDouble();
    }

    boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonElement value = object.get(key);
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw invalid(key, value, "true or false");
        }
        return value.getAsBoolean();
    }

    /**
     * Token ids written as one integer or a list of integers (as {@code eos_token_id} may be).
     *
     * @param key the key
     * @return the ids, empty when the key is absent or null
     */
    List<Long> tokenIds(String key) {
        List<Long> ids = new ArrayList<>();
        if (!has(key)) {
            return ids;
        }
        JsonElement value = object.get(key);
        if (value.isJsonArray()) {
            for (JsonElement element : value.getAsJsonArray()) {
                ids.add(nonNegative(key, element));
            }
        } else {
            ids.add(nonNegative(key, value));
        }
        return ids;
    }

    private long nonNegative(String key, JsonElement value) {
        long id = integer(key, value);
        if (id < 0) {
            throw invalid(key, value, "a token id ≥ 0 or a list of them");
        }
        return id;
    }

    private long integer(String key, JsonElement value) {
        if (!isNumber(value)) {
            throw invalid(key, value, "an integer");
        }
        double number = value.getAsDouble();
        if (number != Math.rint(number) || Math.abs(number) > (1L << 53)) {
            throw invalid(key, value, "an integer");
        }
        return (long) number;
    }

    private static boolean isNumber(JsonElement value) {
        return value.isJsonPrimitive() && ((JsonPrimitive) value).isNumber();
    }

    PeftException invalid(String key, JsonElement value, String expected) {
        return new PeftException(source + ": \"" + key + "\" is " + value + ", expected " + expected);
    }
}
