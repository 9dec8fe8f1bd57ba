package dev.peft4j.experiments.memorize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.Backend;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.EngineSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;

/** The synthetic run as a library call: progress for every step, and a result that covers the run. */
class MemorizeRunTest {

    @ParameterizedTest
    @EngineSource
    void aRunReportsEveryStepAndMeasuresTheAdapter(EngineBinding binding) {
        Plugins plugins = Plugins.defaults();
        Backend backend = Backend.select(binding.name(), "cpu", plugins);
        MemorizeSettings settings = new MemorizeSettings(8, 16, 5, 4, 3);
        List<String> reported = new ArrayList<>();
        RunProgress progress = (label, steps) -> (step, details) -> reported.add(label + " " + step + "/" + steps);
        MemorizeRun run = new MemorizeRun(settings, UuidPairs.generate(8, 3), backend, plugins, progress);

        RunResult result = run.run(new RunSpec("lora", null, 2, 1e-2f));

        assertEquals(List.of("lora r=2 1/5", "lora r=2 2/5", "lora r=2 3/5", "lora r=2 4/5", "lora r=2 5/5"), reported);
        assertEquals("lora", result.method());
        assertEquals(5, (int) result.steps().get(result.steps().size() - 1), "the curve ends at the last step");
        assertTrue(result.trainableParams() > 0, "LoRA trains its A and B: " + result.trainableParams());
    }
}
