package dev.peft4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.PeftException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A JSONL file of one object per line, read for a command; every error names the file and line. */
final class JsonlLines {

    /**
     * One non-blank line.
     *
     * @param object its object
     * @param where {@code file:line}, for messages
     */
    record Line(JsonObject object, String where) {

        /**
         * A string member.
         *
         * @param key the member
         * @param required whether the line must have it
         * @return its value, or {@code null} when absent and not required
         * @throws PeftException naming the line when it is missing (and required) or not a string
         */
        String string(String key, boolean required) {
            JsonElement value = object.get(key);
            if (value == null || value.isJsonNull()) {
                if (required) {
                    throw new PeftException(where + ": expected a \"" + key + "\" key, found keys " + object.keySet());
                }
                return null;
            }
            if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                throw new PeftException(where + ": expected \"" + key + "\" to be a string, found " + value);
            }
            return value.getAsString();
        }

        /**
         * Checks that the line has no other members, so that a misspelt key is not silently ignored.
         *
         * @param keys the members a line may have
         * @throws PeftException naming the line and the first other member
         */
        void requireOnly(Set<String> keys) {
            for (String key : object.keySet()) {
                if (!keys.contains(key)) {
                    throw new PeftException(where + ": unknown key \"" + key + "\"; expected only " + keys);
                }
            }
        }
    }

    private JsonlLines() {}

    /**
     * The objects of every non-blank line.
     *
     * @param file a UTF-8 JSONL file
     * @param shape the expected line, for messages, for example {@code {"text": "..."}}
     * @return the lines, at least one
     * @throws PeftException when the file cannot be read, is not UTF-8, has no line or a line is not
     *     one JSON object
     */
    static List<Line> read(Path file, String shape) {
        List<Line> lines = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    String where = file + ":" + number;
                    try {
                        lines.add(new Line(StrictJson.parseObject(new StringReader(line), where), where));
                    } catch (PeftException e) {
                        throw new PeftException(e.getMessage() + "; expected one JSON object per line, " + shape, e);
                    }
                }
            }
        } catch (CharacterCodingException e) {
            throw new PeftException(file + " is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new PeftException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw new PeftException(file + " has no lines: expected one " + shape + " object per line");
        }
        return lines;
    }
}
