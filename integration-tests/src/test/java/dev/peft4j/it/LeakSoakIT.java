package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * A leak soak: training steps (forward, backward, AdamW update) and inference forwards, each in a
 * sub-manager closed after it, on a model with every adapter/operator combination on every layer,
 * leave the model's live arrays and the process' resident memory flat, on every engine.
 *
 * <p>{@code -Dpeft4j.soak.steps} sets the number of steps (a few hundred in CI); the counts are
 * printed.
 */
class LeakSoakIT {

    private static final int WARM_UP = 100;
    private static final long MAX_RSS_GROWTH_KB = 64 * 1024;
    private static final int SEED = 17;

    @ParameterizedTest
    @EngineSource
    void stepsInScopesLeaveArraysAndMemoryFlat(EngineBinding engine) throws IOException {
        int steps = Integer.getInteger("peft4j.soak.steps", 200);
        try (Model model = new Backend(engine, Device.cpu()).newModel("soak")) {
            // a fixed start: the soak measures memory, and every adapter stacked on one layer at this learning rate
            // can, from some random starts, diverge to NaN, which DoRA's eval cache then refuses
            model.getNDManager().getEngine().setRandomSeed(SEED);
            PeftModel peft =
                    EveryAdapter.addAll(Mlp.wrap(model.getNDManager(), ItPlugins.registry()), ItPlugins.registry());
            BaseNDManager owner = (BaseNDManager) model.getNDManager();
            try (Training training = new Training(model, peft)) {
                for (int i = 0; i < WARM_UP; i++) {
                    step(training, peft, model, i);
                }
                int arraysBefore = owner.getManagedArrays().size();
                long rssBefore = residentKilobytes();
                long start = System.nanoTime();
                float firstLoss = step(training, peft, model, 0);
                float lastLoss = firstLoss;
                for (int i = 1; i < steps; i++) {
                    lastLoss = step(training, peft, model, i);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                int arraysAfter = owner.getManagedArrays().size();
                long rssAfter = residentKilobytes();
                System.out.printf(
                        "soak %s: %,d steps in %.1f s, loss %.4f → %.4f, live arrays %,d → %,d, RSS %,d kB → %,d kB (%+,d kB)%n",
                        engine,
                        steps,
                        seconds,
                        firstLoss,
                        lastLoss,
                        arraysBefore,
                        arraysAfter,
                        rssBefore,
                        rssAfter,
                        rssAfter - rssBefore);
                assertEquals(arraysBefore, arraysAfter, engine + ": live arrays after " + steps + " steps");
                assertTrue(
                        rssAfter - rssBefore < MAX_RSS_GROWTH_KB,
                        engine + ": RSS grew by " + (rssAfter - rssBefore) + " kB in " + steps + " steps");
            }
        }
    }

    /** A training step, and every tenth step an inference forward, each in its own sub-manager. */
    private static float step(Training training, PeftModel peft, Model model, int i) {
        float loss = training.step();
        if (i % 10 == 0) {
            try (NDManager call = model.getNDManager().newSubManager()) {
                Mlp.predict(peft, Mlp.input(call, i, 4));
            }
            peft.invalidateCaches();
        }
        return loss;
    }

    /** VmRSS from /proc/self/status, in kB; 0 where there is no /proc (not Linux). */
    private static long residentKilobytes() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return 0;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
