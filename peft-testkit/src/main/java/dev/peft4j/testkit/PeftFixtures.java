package dev.peft4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The real adapters written by Hugging Face PEFT in the project's test data (see {@link TestData}).
 * Tests that need them are skipped where they are absent.
 */
public final class PeftFixtures {

    /** DistilBERT, LoRA on q_lin and v_lin, fan_in_fan_out false, PEFT 0.17.1. */
    public static final String DISTILBERT = "distilbert-lora-qlin-vlin";

    /** GPT-2, LoRA on the Conv1D c_attn, fan_in_fan_out true, PEFT 0.14.0. */
    public static final String GPT2 = "gpt2-lora-cattn-fifo";

    private PeftFixtures() {}

    /**
     * A fixture's directory in the project's test data (see {@link TestData}); skips the calling
     * test when it is absent.
     *
     * @param name the fixture's directory name
     * @return the directory
     */
    public static Path adapter(String name) {
        return TestData.directory("fixtures/peft/" + name);
    }

    /**
     * The test's own decoding of a F32-only safetensors file, straight from its bytes: the header
     * parsed with Gson, each tensor taken with a little-endian ByteBuffer at its header offsets.
     *
     * @param file the file
     * @return the values of every tensor, by name, in header order
     * @throws IOException when the file cannot be read
     */
    public static Map<String, float[]> decodeIndependently(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(bytes.getLong(0));
        JsonObject header = JsonParser.parseString(new String(bytes.array(), 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : header.entrySet()) {
            if (entry.getKey().equals("__metadata__")) {
                continue;
            }
            JsonObject info = entry.getValue().getAsJsonObject();
            assertEquals("F32", info.get("dtype").getAsString(), "the fixtures hold F32 tensors only");
            JsonArray offsets = info.getAsJsonArray("data_offsets");
            int begin = 8 + headerLength + offsets.get(0).getAsInt();
            int end = 8 + headerLength + offsets.get(1).getAsInt();
            float[] values = new float[(end - begin) / 4];
            for (int i = 0; i < values.length; i++) {
                values[i] = bytes.getFloat(begin + 4 * i);
            }
            tensors.put(entry.getKey(), values);
        }
        return tensors;
    }
}
