package dev.peft4j.models.text;

import com.google.gson.JsonArray;
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
import java.util.Optional;

/**
 * Reads the JSON files beside {@code tokenizer.json} ({@code tokenizer_config.json}, {@code
 * config.json}, {@code generation_config.json}, {@code special_tokens_map.json}, {@code
 * chat_template.json}) and the values the tokenizer takes from them, with messages that name the
 * file and the key.
 */
final class TokenizerFiles {

    private TokenizerFiles() {}

    /**
     * Reads a file holding one JSON object, if it exists.
     *
     * @param file the file
     * @return its object, or empty when there is no such file
     * @throws PeftException naming the file when it cannot be read or is not one JSON object
     */
    static Optional<JsonObject> readObject(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return Optional.of(StrictJson.parseObject(reader, file.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new PeftException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A special token's text: {@code "<s>"}, or {@code {"content": "<s>", ...}} as transformers
     * writes an {@code AddedToken}.
     *
     * @param object the file's object
     * @param key for example {@code "eos_token"}
     * @param file the file, for messages
     * @return the text, or null when the key is absent or null
     * @throws PeftException when the value is neither
     */
    static String tokenText(JsonObject object, String key, Path file) {
        JsonElement value = object.get(key);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (value instanceof JsonPrimitive primitive && primitive.isString()) {
            return primitive.getAsString();
        }
        if (value.isJsonObject()
                && value.getAsJsonObject().get("content") instanceof JsonPrimitive content
                && content.isString()) {
            return content.getAsString();
        }
        throw new PeftException(file + ": " + key + " is " + preview(value)
                + "; expected a string, null or an object with a \"content\" string");
    }

    /**
     * Token ids: an integer, a list of integers, or null.
     *
     * @param object the file's object
     * @param key for example {@code "eos_token_id"}
     * @param file the file, for messages
     * @return the ids, empty when the key is absent or null
     * @throws PeftException when the value is neither
     */
    static List<Long> tokenIds(JsonObject object, String key, Path file) {
        JsonElement value = object.get(key);
        List<Long> ids = new ArrayList<>();
        if (value == null || value.isJsonNull()) {
            return ids;
        }
        if (value.isJsonArray()) {
            for (JsonElement item : (JsonArray) value) {
                ids.add(id(item, key, file, value));
            }
        } else {
            ids.add(id(value, key, file, value));
        }
        return ids;
    }

    private static long id(JsonElement item, String key, Path file, JsonElement value) {
        if (item instanceof JsonPrimitive primitive
                && primitive.isNumber()
                && primitive.getAsString().matches("(0|[1-9][0-9]{0,17})")) {
            return primitive.getAsLong();
        }
        throw new PeftException(file + ": " + key + " is " + preview(value)
                + "; expected a token id (a non-negative integer), a list of them, or null");
    }

    private static String preview(JsonElement value) {
        String text = value.toString();
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }
}
