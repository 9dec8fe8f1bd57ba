package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.models.testing.Reference;
import dev.peft4j.models.testing.SharedModels;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Adapters on loaded models: Hugging Face module paths, all-linear without the output layer, GPT-2's Conv1D layout in files. */
class AdaptersOnModelsTest {

    static List<String> engines() {
        return ReferenceLogitsTest.engines().toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-qwen2", "tiny-mistral-linear-rope", "tiny-gpt2"})
    void allLinearTakesEveryLinearLayerButTheOutputLayer(String name) {
        try (CausalLm lm = CausalLm.load(Reference.resource(name), ReferenceLogitsTest.backend("pytorch"))) {
            PeftModel peft = lm.peft();
            peft.addAdapter("default", AdapterConfig.builder("lora").setRank(2).build(), TargetModules.allLinear());
            int perLayer = lm.config().architecture() == Architecture.GPT2 ? 4 : 7;
            assertEquals(perLayer * lm.config().layers(), peft.layers().size());
            assertTrue(peft.layers().keySet().stream().noneMatch(path -> path.equals("lm_head")));
            String first = lm.config().architecture() == Architecture.GPT2
                    ? "transformer.h.0.attn.c_attn"
                    : "model.layers.0.self_attn.q_proj";
            assertEquals(first, peft.layers().keySet().iterator().next());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void namesTargetHuggingFacePaths(String engine) {
        try (CausalLm lm = CausalLm.load(Reference.resource("tiny-llama-gqa"), ReferenceLogitsTest.backend(engine))) {
            lm.peft()
                    .addAdapter(
                            "default",
                            AdapterConfig.builder("lora").setRank(2).build(),
                            TargetModules.names("q_proj", "v_proj"));
            assertEquals(
                    List.of(
                            "model.layers.0.self_attn.q_proj",
                            "model.layers.0.self_attn.v_proj",
                            "model.layers.1.self_attn.q_proj",
                            "model.layers.1.self_attn.v_proj"),
                    List.copyOf(lm.peft().layers().keySet()));
        }
    }

    /**
     * An adapter on GPT-2's Conv1D layers, saved by peft4j, records fan_in_fan_out; merged into the
     * checkpoint (weights stored (in, out)) by the streaming merge, the merged model computes what
     * the adapter on the model computed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void gpt2AdapterSavesMergesAndReloadsWithTheConv1dLayout(String engine, @TempDir Path dir) throws IOException {
        Path adapter = dir.resolve("adapter");
        Path merged = dir.resolve("merged");
        float[] adapted;
        long[] ids = {3, 17, 42, 8, 91, 5};
        try (CausalLm lm = CausalLm.load(Reference.resource("tiny-gpt2"), ReferenceLogitsTest.backend(engine));
                NDManager manager = lm.newManager()) {
            lm.peft()
                    .addAdapter(
                            "default",
                            AdapterConfig.builder("lora").setRank(4).optAlpha(8).build(),
                            TargetModules.names("c_attn", "c_fc"));
            for (AdaptedLayer layer : lm.peft().layers().values()) {
                NDArray b = layer.adapters()
                        .get("default")
                        .peftParameters()
                        .get("lora_B.weight")
                        .getArray();
                b.intern(b.getManager().randomNormal(0, 0.2f, b.getShape(), b.getDataType()));
            }
            NDArray input = manager.create(ids).reshape(1, ids.length);
            lm.peft().setAdapterEnabled("default", false);
            float[] baseLogits = lm.logits(input, null).toFloatArray();
            lm.peft().setAdapterEnabled("default", true);
            adapted = lm.logits(input, null).toFloatArray();
            assertTrue(maxDifference(baseLogits, adapted) > 0.01, "the adapter changes the logits");
            lm.saveAdapter("default", adapter);
        }
        JsonObject config = JsonParser.parseString(Files.readString(adapter.resolve("adapter_config.json")))
                .getAsJsonObject();
        assertTrue(config.get("fan_in_fan_out").getAsBoolean());
        assertEquals("CAUSAL_LM", config.get("task_type").getAsString());
        assertEquals("tiny-gpt2", config.get("base_model_name_or_path").getAsString());

        Files.createDirectories(merged);
        Files.copy(Reference.resource("tiny-gpt2").resolve("config.json"), merged.resolve("config.json"));
        try (NDManager manager = ReferenceLogitsTest.backend(engine).newManager()) {
            StreamingMerge.merge(
                    Reference.resource("tiny-gpt2").resolve(Checkpoint.WEIGHTS_FILE),
                    adapter,
                    merged.resolve(Checkpoint.WEIGHTS_FILE),
                    manager,
                    StreamingMerge.Options.defaults());
        }
        try (CausalLm mergedLm = CausalLm.load(merged, ReferenceLogitsTest.backend(engine));
                CausalLm reloaded =
                        CausalLm.load(Reference.resource("tiny-gpt2"), ReferenceLogitsTest.backend(engine));
                NDManager manager = mergedLm.newManager()) {
            NDArray input = manager.create(ids).reshape(1, ids.length);
            assertEquals(0, maxDifference(adapted, mergedLm.logits(input, null).toFloatArray()), 1e-4);
            reloaded.loadAdapter("default", adapter);
            assertEquals(0, maxDifference(adapted, reloaded.logits(input, null).toFloatArray()), 1e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void generationStopsAtAStopId(String engine) {
        JsonObject expected = Reference.json("stories260k.json");
        long[] prompt = Reference.longs(expected.getAsJsonArray("input_ids"));
        long[] greedy = Reference.longs(expected.getAsJsonArray("greedy_ids"));
        try (CausalLm lm =
                CausalLm.load(SharedModels.model(SharedModels.STORIES_260K), ReferenceLogitsTest.backend(engine))) {
            GenerationConfig stopAtFifth = new GenerationConfig(30, 0, 0, 1, 0, Set.of(greedy[4]));
            long[] generated =
                    new Generator(lm).generateIds(List.of(prompt), stopAtFifth).get(0);
            assertArrayEquals(java.util.Arrays.copyOf(greedy, 5), generated);
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    @Test
    void anAdapterHoldingNanIsNotLoaded(@TempDir Path dir) {
        Path adapter = dir.resolve("adapter");
        try (CausalLm lm = CausalLm.load(Reference.resource("tiny-qwen2"), ReferenceLogitsTest.backend("pytorch"))) {
            lm.peft()
                    .addAdapter(
                            "default", AdapterConfig.builder("lora").setRank(2).build(), TargetModules.names("q_proj"));
            NDArray b = lm.peft()
                    .layers()
                    .values()
                    .iterator()
                    .next()
                    .adapters()
                    .get("default")
                    .peftParameters()
                    .get("lora_B.weight")
                    .getArray();
            b.intern(b.getManager().full(b.getShape(), Float.NaN));
            lm.saveAdapter("default", adapter);
        }
        try (CausalLm lm = CausalLm.load(Reference.resource("tiny-qwen2"), ReferenceLogitsTest.backend("pytorch"))) {
            String message = assertThrows(PeftException.class, () -> lm.loadAdapter("default", adapter))
                    .getMessage();
            assertTrue(message.contains("is inconsistent, so it is not loaded"), message);
            assertTrue(message.contains("lora_B.weight' holds NaN or Inf (first at flat index 0"), message);
        }
    }
}
