package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.Backend;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class QuickBenchTest {

    private static final List<String> TARGETS = List.of(
            "merged_forward/base_forward",
            "lora_step/fft_step",
            "dora_step/lora_step",
            "dora_cached_eval_forward/lora_eval_forward",
            "mora_sharing_step/lora_step",
            "rotation_overhead/analytic_overhead");

    static List<EngineBinding> engines() {
        return Plugins.defaults().engines();
    }

    @ParameterizedTest
    @MethodSource("engines")
    void aTinyRunWritesTheContract(EngineBinding engine) {
        Plugins plugins = Plugins.defaults();
        BenchSize tiny = new BenchSize(32, 4, 4);
        List<String> progress = new ArrayList<>();
        BenchReport report = QuickBench.run(
                Backend.select(engine.name(), "cpu", plugins),
                plugins,
                new QuickBench.Settings(tiny, 0.05, 0.05, 1, 3, 5, 0.5, tiny, 24, 100),
                progress::add);

        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertEquals(engine.name(), json.get("engine").getAsString());
        assertEquals("cpu", json.get("device").getAsString());
        List<String> targeted = new ArrayList<>();
        for (JsonElement element : json.getAsJsonArray("ratios")) {
            JsonObject ratio = element.getAsJsonObject();
            for (String field : List.of("name", "value", "target", "anchor")) {
                assertTrue(ratio.has(field), "ratios[] has " + field + ": " + ratio);
            }
            assertTrue(Double.isFinite(ratio.get("value").getAsDouble()), ratio.toString());
            if (!ratio.get("target").isJsonNull()) {
                targeted.add(ratio.get("name").getAsString());
            }
        }
        assertEquals(TARGETS, targeted);

        JsonArray operations = json.getAsJsonArray("operations");
        assertEquals(BenchMethod.all(plugins).size(), operations.size());
        JsonObject base = operations.get(0).getAsJsonObject();
        assertEquals("base", base.get("method").getAsString());
        assertEquals(1, base.get("evalForward").getAsInt(), "the plain layer is one linear operation");
        assertTrue(base.get("trainStep").isJsonNull());
        assertEquals(24, json.getAsJsonObject("soak").get("steps").getAsInt());

        assertTrue(report.table().contains("| merged_forward/base_forward |"), report.table());
        assertTrue(report.markdown().contains("## Definitions"), report.markdown());
        assertFalse(progress.isEmpty());
        assertTrue(
                progress.stream().anyMatch(line -> line.startsWith("Warming up the process: 12 operations")),
                "every timed operation is warmed up before the first pair: " + progress);
    }

    @Test
    void aNegativeProcessWarmUpIsRefused() {
        BenchSize tiny = new BenchSize(32, 4, 4);
        IllegalArgumentException error = assertThrows(
                IllegalArgumentException.class,
                () -> new QuickBench.Settings(tiny, -1, 0.05, 1, 3, 5, 0.5, tiny, 24, 100));
        assertTrue(error.getMessage().contains("process warm-up seconds=-1.0 (≥ 0)"), error.getMessage());
    }
}
