package dev.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.models.CausalLm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same loop on MXNet, in a JVM of its own (surefire forks one per class here): a process that
 * loads both engines' OpenMP runtimes is not what a user runs.
 */
class FineTunerMxnetTest {

    @TempDir
    Path dir;

    @Test
    void mxnetRunsTheSameLoop() throws IOException {
        try (CausalLm lm = FineTunerTest.load("mxnet")) {
            FineTuner tuner = new FineTuner(
                    lm,
                    FineTunerTest.config("lora", 4, 0, Map.of()),
                    FineTunerTest.data(lm, dir),
                    null,
                    TrainingProgress.NONE);
            double[] losses = FineTunerTest.losses(tuner.run(dir.resolve("mxnet"), null));
            assertEquals(4, losses.length);
            assertTrue(losses[3] < losses[0], "LoRA on MXNet: " + losses[0] + " → " + losses[3]);
        }
    }
}
