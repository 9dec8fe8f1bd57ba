package dev.peft4j.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.peft4j.spi.PeftException;
import java.io.EOFException;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Strict JSON parsing (RFC 8259, one top-level object) and typed access to its values. */
public final class StrictJson {

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern LOCATION = Pattern.compile("line (\\d+) column (\\d+)");
    private static final Pattern NESTING = Pattern.compile("Nesting limit (\\d+) reached");
    private static final int PREVIEW_CHARS = 80;

    private StrictJson() {}

    /**
     * Parses one JSON object; only whitespace may follow it.
     *
     * @param reader the text
     * @param source what the text is, for messages, for example the file and the part of it
     * @return the object
     * @throws PeftException when the text is not one well-formed JSON object
     */
    public static JsonObject parseObject(Reader reader, String source) {
        JsonReader json = new JsonReader(reader);
        json.setStrictness(Strictness.STRICT);
        try {
            JsonElement element = JsonParser.parseReader(json);
            if (json.peek() != JsonToken.END_DOCUMENT) {
                throw new PeftException(source + " is malformed: text follows the JSON object");
            }
            if (!element.isJsonObject()) {
                throw new PeftException(source + " is malformed: expected a JSON object, found " + preview(element));
            }
            return element.getAsJsonObject();
        } catch (JsonParseException | IOException e) {
            throw new PeftException(source + " is malformed JSON: " + describe(e), e);
        }
    }

    /**
     * A JSON value for a message, cut short when long.
     *
     * @param element the value, or null
     * @return its JSON text, at most about 80 characters
     */
    public static String preview(JsonElement element) {
        String text = String.valueOf(element);
        return text.length() <= PREVIEW_CHARS ? text : text.substring(0, PREVIEW_CHARS) + "…";
    }

    private static String describe(Exception failure) {
        Matcher location = LOCATION.matcher(String.valueOf(failure.getMessage()));
        String where = location.find() ? " at line " + location.group(1) + ", column " + location.group(2) : "";
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof EOFException) {
                return "the text ends early" + where;
            }
            Matcher nesting = NESTING.matcher(String.valueOf(cause.getMessage()));
            if (nesting.lookingAt()) {
                return "nested deeper than the parser's limit of " + nesting.group(1) + " levels" + where
                        + "; no PEFT or model file nests that deep";
            }
        }
        return "syntax error" + where;
    }

    /**
     * The value of a JSON integer literal (no fraction, no exponent).
     *
     * @param element any element
     * @return the integer, or empty when the element is not an integer literal
     */
    public static Optional<BigInteger> integer(JsonElement element) {
        if (element instanceof JsonPrimitive primitive && primitive.isNumber()) {
            String text = primitive.getAsString();
            if (INTEGER.matcher(text).matches()) {
                return Optional.of(new BigInteger(text));
            }
        }
        return Optional.empty();
    }

    /**
     * The value of a JSON number.
     *
     * @param element any element
     * @return the number, or empty when the element is not a number
     */
    public static Optional<Double> number(JsonElement element) {
        return element instanceof JsonPrimitive primitive && primitive.isNumber()
                ? Optional.of(primitive.getAsDouble())
                : Optional.empty();
    }

    /**
     * The value of a JSON string.
     *
     * @param element any element
     * @return the string, or empty when the element is not a string
     */
    public static Optional<String> string(JsonElement element) {
        return element instanceof JsonPrimitive primitive && primitive.isString()
                ? Optional.of(primitive.getAsString())
                : Optional.empty();
    }

    /**
     * The value of a JSON boolean.
     *
     * @param element any element
     * @return the boolean, or empty when the element is not a boolean
     */
    public static Optional<Boolean> bool(JsonElement element) {
        return element instanceof JsonPrimitive primitive && primitive.isBoolean()
                ? Optional.of(primitive.getAsBoolean())
                : Optional.empty();
    }
}
