package dev.peft4j.it;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Values that file readers must survive: extreme numbers, wrong JSON types, deep nesting, bad bytes. */
final class Hostile {

    private static final List<String> NUMBERS = List.of(
            "0",
            "-0",
            "1",
            "-1",
            "2",
            "255",
            "65536",
            "2147483647",
            "2147483648",
            "-2147483649",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999",
            "1.5",
            "-0.5",
            "1e3",
            "1E400",
            "-1e-400",
            "1.0",
            "100000000",
            "100000001");
    private static final String JSON_CHARACTERS = "{}[],:\" \\0123456789.eE+-tfnul";

    private Hostile() {}

    /**
     * A number that is extreme for some reader: sizes near 2³¹, 2⁶³ and 2⁶⁴, fractions, exponents,
     * and rarely an integer literal of many thousand digits.
     *
     * @param random the source
     * @return the JSON number
     */
    static JsonPrimitive number(Random random) {
        if (random.nextInt(200) == 0) {
            return literal("9".repeat(1 + random.nextInt(200_000)));
        }
        if (random.nextBoolean()) {
            return literal(NUMBERS.get(random.nextInt(NUMBERS.size())));
        }
        return new JsonPrimitive(random.nextLong() >> random.nextInt(64));
    }

    /** A JSON number kept as written, however long. */
    private static JsonPrimitive literal(String digits) {
        return JsonParser.parseString(digits).getAsJsonPrimitive();
    }

    /**
     * A long that is extreme for a length or an offset.
     *
     * @param random the source
     * @param near a value to land near, for example the file size
     * @return the long
     */
    static long length(Random random, long near) {
        return switch (random.nextInt(8)) {
            case 0 -> Long.MAX_VALUE;
            case 1 -> Long.MIN_VALUE + random.nextInt(3);
            case 2 -> -1 - random.nextInt(3);
            case 3 -> 100_000_000L + random.nextInt(3) - 1;
            case 4 -> near + random.nextInt(17) - 8;
            case 5 -> 1L << (31 + random.nextInt(33));
            case 6 -> random.nextInt(16);
            default -> random.nextLong();
        };
    }

    /**
     * Any JSON value, nested up to a depth.
     *
     * @param random the source
     * @param depth how deep arrays and objects may nest
     * @return the value
     */
    static JsonElement value(Random random, int depth) {
        int kind = random.nextInt(depth > 0 ? 8 : 5);
        switch (kind) {
            case 0:
                return JsonNull.INSTANCE;
            case 1:
                return new JsonPrimitive(random.nextBoolean());
            case 2:
                return number(random);
            case 3:
                return new JsonPrimitive(string(random));
            case 4:
                return new JsonPrimitive(random.nextInt(5) - 1);
            case 5:
                return deep(1 + random.nextInt(200));
            case 6: {
                JsonArray array = new JsonArray();
                for (int i = random.nextInt(5); i > 0; i--) {
                    array.add(value(random, depth - 1));
                }
                return array;
            }
            default: {
                JsonObject object = new JsonObject();
                for (int i = random.nextInt(5); i > 0; i--) {
                    object.add(string(random), value(random, depth - 1));
                }
                return object;
            }
        }
    }

    /**
     * Arrays nested {@code depth} deep, {@code [[[…]]]}, within Gson's nesting limit of 255.
     *
     * @param depth the depth
     * @return the value
     */
    static JsonElement deep(int depth) {
        return JsonParser.parseString(deepText(depth)).getAsJsonArray();
    }

    /**
     * Arrays nested {@code depth} deep as text, which may be deeper than any parser accepts.
     *
     * @param depth the depth
     * @return {@code [[[…]]]}
     */
    static String deepText(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    /**
     * A short string with odd characters: quotes, escapes, controls, surrogates, dots.
     *
     * @param random the source
     * @return the string
     */
    static String string(Random random) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
            text.append(
                    switch (random.nextInt(8)) {
                        case 0 -> '"';
                        case 1 -> '\\';
                        case 2 -> (char) random.nextInt(32);
                        case 3 -> (char) (0xD800 + random.nextInt(0x800));
                        case 4 -> '.';
                        case 5 -> '_';
                        default -> (char) ('a' + random.nextInt(26));
                    });
        }
        return text.toString();
    }

    /**
     * The bytes of a text with a few characters flipped, inserted or deleted, or cut short.
     *
     * @param random the source
     * @param text the text
     * @return the damaged UTF-8 bytes
     */
    static byte[] damage(Random random, String text) {
        StringBuilder damaged = new StringBuilder(text);
        if (random.nextInt(4) == 0) {
            damaged.setLength(random.nextInt(damaged.length() + 1));
            return damaged.toString().getBytes(StandardCharsets.UTF_8);
        }
        for (int edits = 1 + random.nextInt(5); edits > 0 && damaged.length() > 0; edits--) {
            int at = random.nextInt(damaged.length());
            char c = JSON_CHARACTERS.charAt(random.nextInt(JSON_CHARACTERS.length()));
            switch (random.nextInt(3)) {
                case 0 -> damaged.setCharAt(at, c);
                case 1 -> damaged.insert(at, c);
                default -> damaged.deleteCharAt(at);
            }
        }
        return damaged.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Bytes with a few of them set to random values.
     *
     * @param random the source
     * @param bytes the bytes, changed in place
     * @return the same array
     */
    static byte[] flip(Random random, byte[] bytes) {
        for (int edits = 1 + random.nextInt(8); edits > 0 && bytes.length > 0; edits--) {
            bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    /**
     * The object's JSON text with one member written twice: one of its own or, at random, one of an
     * object nested in it.
     *
     * @param random the source of choices
     * @param object an object with at least one member
     * @return the text, which no strict reader may accept
     */
    static String repeatAKey(Random random, JsonObject object) {
        List<Map.Entry<String, JsonElement>> members = List.copyOf(object.entrySet());
        int chosen = random.nextInt(members.size());
        JsonElement value = members.get(chosen).getValue();
        boolean nested = value.isJsonObject() && !value.getAsJsonObject().isEmpty() && random.nextBoolean();
        StringBuilder text = new StringBuilder("{");
        if (!nested) {
            text.append(new JsonPrimitive(members.get(chosen).getKey()))
                    .append(':')
                    .append(value)
                    .append(',');
        }
        for (int i = 0; i < members.size(); i++) {
            Map.Entry<String, JsonElement> member = members.get(i);
            text.append(i > 0 ? "," : "")
                    .append(new JsonPrimitive(member.getKey()))
                    .append(':');
            text.append(i == chosen && nested ? repeatAKey(random, value.getAsJsonObject()) : member.getValue());
        }
        return text.append('}').toString();
    }
}
