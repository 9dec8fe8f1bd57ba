package dev.peft4j.models.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reference data written by transformers and PEFT through {@code interop/run} into the test
 * resources (tiny random models, expected logits), and the real models of the test data
 * beside the repository, which tests skip without.
 */
public final class Reference {

    private Reference() {}

    /**
     * A directory of {@code src/test/resources/reference}.
     *
     * @param name the directory, for example {@code tiny-qwen2}
     * @return its path
     */
    public static Path resource(String name) {
        try {
            return Path.of(Reference.class.getResource("/reference/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("No test resource reference/" + name, e);
        }
    }

    /**
     * A JSON file of the reference data.
     *
     * @param file the file, relative to {@code reference/}
     * @return its object
     */
    public static JsonObject json(String file) {
        try {
            return JsonParser.parseString(Files.readString(resource(file))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A JSON array of numbers as floats.
     *
     * @param array the array, flat
     * @return the values
     */
    public static float[] floats(JsonArray array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsFloat();
        }
        return values;
    }

    /**
     * A JSON array of integers, flat or nested one level, as a row-major long array.
     *
     * @param array the array
     * @return the values
     */
    public static long[] longs(JsonArray array) {
        return flatten(array).stream().mapToLong(JsonElement::getAsLong).toArray();
    }

    private static java.util.List<JsonElement> flatten(JsonArray array) {
        java.util.List<JsonElement> out = new java.util.ArrayList<>();
        for (JsonElement element : array) {
            if (element.isJsonArray()) {
                out.addAll(flatten(element.getAsJsonArray()));
            } else {
                out.add(element);
            }
        }
        return out;
    }
}
