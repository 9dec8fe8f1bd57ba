package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.AdapterModule;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.PeftFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The two real PEFT adapters load, and what peft4j reads equals what the file holds. */
class PeftFixturesTest {

    private static Path weights(String fixture) {
        return PeftFixtures.adapter(fixture).resolve(AdapterDirectory.WEIGHTS_FILE);
    }

    @Test
    void distilbertLoads() {
        try (AdapterDirectory adapter =
                AdapterDirectory.open(PeftFixtures.adapter(PeftFixtures.DISTILBERT), Plugins.defaults())) {
            PeftAdapterConfig config = adapter.config();
            assertEquals(8, config.r());
            assertEquals(16.0, config.loraAlpha());
            assertEquals(0.05, config.loraDropout());
            assertEquals(List.of("v_lin", "q_lin"), config.targetModules());
            assertNull(config.targetModulesRegex());
            assertFalse(config.fanInFanOut());
            assertEquals(List.of("classifier", "score"), config.modulesToSave());
            assertEquals("distilbert-base-uncased", config.baseModelNameOrPath());
            assertEquals("SEQ_CLS", config.taskType());
            assertEquals("lora", adapter.method().factory().name());
            assertEquals(List.of(), adapter.problems());

            List<String> expected = new ArrayList<>();
            for (int layer = 0; layer < 6; layer++) {
                expected.add("distilbert.transformer.layer." + layer + ".attention.q_lin");
                expected.add("distilbert.transformer.layer." + layer + ".attention.v_lin");
            }
            assertEquals(expected, List.copyOf(adapter.modules().keySet()));
            assertEquals(
                    List.of("classifier.bias", "classifier.weight", "pre_classifier.bias", "pre_classifier.weight"),
                    List.copyOf(adapter.savedTensors().keySet()));
            AdapterModule q0 = adapter.modules().get("distilbert.transformer.layer.0.attention.q_lin");
            assertEquals(
                    new Shape(8, 768),
                    adapter.weights()
                            .tensor(q0.tensors().get(LowRankBranch.A_NAME))
                            .shape());
            assertEquals(
                    new Shape(768, 8),
                    adapter.weights()
                            .tensor(q0.tensors().get(LowRankBranch.B_NAME))
                            .shape());
            assertEquals(2, q0.tensors().size());
        }
    }

    @Test
    void gpt2Loads() {
        try (AdapterDirectory adapter =
                AdapterDirectory.open(PeftFixtures.adapter(PeftFixtures.GPT2), Plugins.defaults())) {
            PeftAdapterConfig config = adapter.config();
            assertEquals(8, config.r());
            assertEquals(16.0, config.loraAlpha());
            assertEquals(List.of("c_attn"), config.targetModules());
            assertTrue(config.fanInFanOut());
            assertEquals(List.of("classifier", "score"), config.modulesToSave());
            assertEquals(List.of(), adapter.problems());

            List<String> expected = IntStream.range(0, 12)
                    .mapToObj(layer -> "transformer.h." + layer + ".attn.c_attn")
                    .toList();
            assertEquals(
                    expected,
                    List.copyOf(adapter.modules().keySet()),
                    "natural order (the file sorts them as text: h.0, h.1, h.10, ...)");
            assertEquals(Map.of("score.weight", "base_model.model.score.weight"), adapter.savedTensors());
            AdapterModule h0 = adapter.modules().get("transformer.h.0.attn.c_attn");
            assertEquals(
                    new Shape(8, 768),
                    adapter.weights()
                            .tensor(h0.tensors().get(LowRankBranch.A_NAME))
                            .shape());
            assertEquals(
                    new Shape(2304, 8),
                    adapter.weights()
                            .tensor(h0.tensors().get(LowRankBranch.B_NAME))
                            .shape());
            assertEquals(8, adapter.moduleConfig(h0.path()).rank());
            assertEquals(2f, adapter.moduleConfig(h0.path()).scaling());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {PeftFixtures.DISTILBERT, PeftFixtures.GPT2})
    void everyTensorEqualsAnIndependentDecodingOfTheFile(String fixture) throws IOException {
        Map<String, float[]> expected = PeftFixtures.decodeIndependently(weights(fixture));
        try (AdapterDirectory adapter = AdapterDirectory.open(PeftFixtures.adapter(fixture), Plugins.defaults())) {
            SafetensorsFile file = adapter.weights();
            assertEquals(Map.of("format", "pt"), file.metadata());
            assertEquals(expected.keySet(), file.tensors().keySet());
            assertEquals(12, adapter.modules().size());
            for (AdapterModule module : adapter.modules().values()) {
                assertArrayEquals(
                        expected.get(module.tensors().get(LowRankBranch.A_NAME)),
                        file.readFloats(module.tensors().get(LowRankBranch.A_NAME)),
                        module.tensors().get(LowRankBranch.A_NAME));
                assertArrayEquals(
                        expected.get(module.tensors().get(LowRankBranch.B_NAME)),
                        file.readFloats(module.tensors().get(LowRankBranch.B_NAME)),
                        module.tensors().get(LowRankBranch.B_NAME));
            }
            for (String name : adapter.savedTensors().values()) {
                assertArrayEquals(expected.get(name), file.readFloats(name), name);
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void ndArraysEqualTheFileOnEveryEngine(EngineBinding engine) throws IOException {
        for (String fixture : List.of(PeftFixtures.DISTILBERT, PeftFixtures.GPT2)) {
            Map<String, float[]> expected = PeftFixtures.decodeIndependently(weights(fixture));
            try (AdapterDirectory adapter = AdapterDirectory.open(PeftFixtures.adapter(fixture), Plugins.defaults());
                    NDManager manager = NDManager.newBaseManager(
                            Device.cpu(), engine.engine().getEngineName())) {
                for (String name : adapter.weights().tensors().keySet()) {
                    NDArray array = adapter.weights().read(name, manager);
                    assertEquals(DataType.FLOAT32, array.getDataType());
                    assertEquals(adapter.weights().tensor(name).shape(), array.getShape());
                    assertArrayEquals(expected.get(name), array.toFloatArray(), name);
                    array.close();
                }
            }
        }
    }
}
