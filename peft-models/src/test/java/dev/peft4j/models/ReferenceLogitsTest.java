package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.core.Backend;
import dev.peft4j.models.testing.Reference;
import dev.peft4j.models.testing.SharedModels;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Logits equal transformers' (written by {@code interop/run} into the test resources), within 1e-4
 * absolute: tiny random Llama with GQA and llama3 rope scaling, Qwen2 with biases and an untied
 * output layer, Mistral with linear rope scaling and tied embeddings, GPT-2; a padded batch (left
 * padding, compared where the mask is 1) and a single row; the real stories260k.
 */
class ReferenceLogitsTest {

    private static final double TOLERANCE = 1e-4;

    static Stream<Arguments> tinyModels() {
        List<Arguments> cases = new ArrayList<>();
        for (EngineBinding engine : Plugins.defaults().engines()) {
            for (String model : List.of("tiny-llama-gqa", "tiny-qwen2", "tiny-mistral-linear-rope", "tiny-gpt2")) {
                cases.add(Arguments.of(engine.name(), model));
            }
        }
        return cases.stream();
    }

    static Stream<String> engines() {
        return Plugins.defaults().engines().stream().map(EngineBinding::name);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("tinyModels")
    void tinyModelLogitsEqualTransformers(String engine, String name) {
        JsonObject expected = Reference.json(name + "/expected.json");
        try (CausalLm lm = CausalLm.load(Reference.resource(name), backend(engine));
                NDManager manager = lm.newManager()) {
            JsonObject single = expected.getAsJsonObject("single");
            NDArray ids = ids(manager, single.getAsJsonArray("input_ids"));
            assertClose(Reference.floats(single.getAsJsonArray("logits")), lm.logits(ids, null), null);

            NDArray batch = ids(manager, expected.getAsJsonArray("input_ids"));
            long[] mask = Reference.longs(expected.getAsJsonArray("attention_mask"));
            NDArray maskArray = manager.create(mask, batch.getShape());
            assertClose(Reference.floats(expected.getAsJsonArray("logits")), lm.logits(batch, maskArray), mask);
        }
    }

    @ParameterizedTest(name = "stories260k on {0}")
    @MethodSource("engines")
    void stories260kLogitsEqualTransformers(String engine) {
        JsonObject expected = Reference.json("stories260k.json");
        Path model = SharedModels.model(SharedModels.STORIES_260K);
        try (CausalLm lm = CausalLm.load(model, backend(engine));
                NDManager manager = lm.newManager()) {
            NDArray ids = manager.create(Reference.longs(expected.getAsJsonArray("input_ids")));
            ids = ids.reshape(1, ids.size());
            assertClose(Reference.floats(expected.getAsJsonArray("logits")), lm.logits(ids, null), null);
        }
    }

    static Backend backend(String engine) {
        return Backend.select(engine, "cpu", Plugins.defaults());
    }

    private static NDArray ids(NDManager manager, JsonArray rows) {
        long[] flat = Reference.longs(rows);
        return manager.create(flat, new Shape(rows.size(), flat.length / rows.size()));
    }

    /** Compares logits (B, T, V) at the positions the mask keeps (all when null). */
    private static void assertClose(float[] expected, NDArray actual, long[] mask) {
        float[] values = actual.toFloatArray();
        assertEquals(expected.length, values.length, "logits size");
        int vocab = Math.toIntExact(actual.getShape().get(2));
        double worst = 0;
        for (int i = 0; i < values.length; i++) {
            if (mask == null || mask[i / vocab] != 0) {
                worst = Math.max(worst, Math.abs(values[i] - expected[i]));
            }
        }
        assertEquals(0, worst, TOLERANCE, "largest |peft4j − transformers| over the logits");
    }
}
