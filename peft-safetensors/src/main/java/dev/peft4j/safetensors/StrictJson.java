package dev.peft4j.safetensors;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSyntaxException;
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

/**
 * Strict JSON parsing (RFC 8259, one top-level object) and typed access to its values. An object
 * that repeats a member name is refused: RFC 8259 (section 4) leaves its meaning open, and a reader
 * that keeps the last value would silently hide the first (two declarations of one tensor in a
 * safetensors header, two {@code r} in a config).
 */
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
            JsonElement element = parseTree(json);
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
     * Reads one JSON value from a reader, as Gson's {@code JsonParser.parseReader} does, but refuses
     * a repeated member name in any object. Numbers keep their literal text.
     *
     * @param json the reader, positioned before the value; its strictness and nesting limit apply
     * @return the value
     * @throws JsonParseException when the text is malformed, ends early, nests too deep or repeats a
     *     member name (the message names the key and its JSON path)
     */
    public static JsonElement parseTree(JsonReader json) {
        try {
            return value(json);
        } catch (IOException e) {
            throw new JsonSyntaxException(e);
        }
    }

    private static JsonElement value(JsonReader json) throws IOException {
        return switch (json.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject object = new JsonObject();
                json.beginObject();
                while (json.hasNext()) {
                    String name = json.nextName();
                    if (object.has(name)) {
                        throw new DuplicateKeyException(name, json);
                    }
                    object.add(name, value(json));
                }
                json.endObject();
                yield object;
            }
            case BEGIN_ARRAY -> {
                JsonArray array = new JsonArray();
                json.beginArray();
                while (json.hasNext()) {
                    array.add(value(json));
                }
                json.endArray();
                yield array;
            }
            case STRING -> new JsonPrimitive(json.nextString());
            case NUMBER -> new JsonPrimitive(new LiteralNumber(json.nextString()));
            case BOOLEAN -> new JsonPrimitive(json.nextBoolean());
            case NULL -> {
                json.nextNull();
                yield JsonNull.INSTANCE;
            }
            default ->
                throw new JsonSyntaxException(
                        "Unexpected " + json.peek() + json.toString().substring(10));
        };
    }

    /** A member name that appears twice in one object. */
    private static final class DuplicateKeyException extends JsonParseException {
        private static final long serialVersionUID = 1L;

        DuplicateKeyException(String name, JsonReader json) {
            super("the key \"" + name + "\" appears twice in one object (" + json.getPreviousPath()
                    + "); every key must be unique");
        }
    }

    /**
     * A JSON number kept as its literal text; integer values outside {@code long} saturate, so no
     * huge exponent is ever expanded.
     */
    private static final class LiteralNumber extends Number {
        private static final long serialVersionUID = 1L;
        private final String text;

        LiteralNumber(String text) {
            this.text = text;
        }

        @Override
        public int intValue() {
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, longValue()));
        }

        @Override
        public long longValue() {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException notALong) {
                return (long) doubleValue();
            }
        }

        @Override
        public float floatValue() {
            return Float.parseFloat(text);
        }

        @Override
        public double doubleValue() {
            return Double.parseDouble(text);
        }

        @Override
        public String toString() {
            return text;
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
        if (failure instanceof DuplicateKeyException) {
            return failure.getMessage();
        }
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
