package dev.peft4j.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON values as the plain Java values of {@link dev.peft4j.spi.AdapterFileKeys} and back: strings,
 * booleans, {@code Long} for integral numbers that fit, {@code Double} for the others, lists, maps
 * and {@code null}.
 */
final class JsonValues {

    private JsonValues() {}

    /**
     * A JSON value as a Java value.
     *
     * @param element the value
     * @return the Java value
     */
    static Object toJava(JsonElement element) {
        if (element == null || element.isJsonNull()) {
            return null;
        }
        if (element.isJsonArray()) {
            List<Object> list = new ArrayList<>();
            element.getAsJsonArray().forEach(item -> list.add(toJava(item)));
            return list;
        }
        if (element.isJsonObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            element.getAsJsonObject().entrySet().forEach(member -> map.put(member.getKey(), toJava(member.getValue())));
            return map;
        }
        JsonPrimitive primitive = element.getAsJsonPrimitive();
        if (primitive.isBoolean()) {
            return primitive.getAsBoolean();
        }
        if (primitive.isString()) {
            return primitive.getAsString();
        }
        BigDecimal number = primitive.getAsBigDecimal();
        try {
            return number.longValueExact();
        } catch (ArithmeticException notIntegral) {
            return number.doubleValue();
        }
    }

    /**
     * A Java value as JSON.
     *
     * @param value a string, boolean, number, list, map or {@code null}
     * @return the JSON value
     * @throws IllegalArgumentException for any other type
     */
    static JsonElement toJson(Object value) {
        if (value == null) {
            return JsonNull.INSTANCE;
        }
        if (value instanceof String text) {
            return new JsonPrimitive(text);
        }
        if (value instanceof Boolean bool) {
            return new JsonPrimitive(bool);
        }
        if (value instanceof Number number) {
            return new JsonPrimitive(number);
        }
        if (value instanceof List<?> list) {
            JsonArray array = new JsonArray();
            list.forEach(item -> array.add(toJson(item)));
            return array;
        }
        if (value instanceof Map<?, ?> map) {
            JsonObject object = new JsonObject();
            map.forEach((key, item) -> object.add(String.valueOf(key), toJson(item)));
            return object;
        }
        throw new IllegalArgumentException(
                "Not a JSON value: " + value.getClass().getName());
    }
}
