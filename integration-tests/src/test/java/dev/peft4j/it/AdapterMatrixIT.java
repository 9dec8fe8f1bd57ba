package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every cell of the {@link Matrix}, the third-party plugin's included: on the MLP with the
 * combination on all three layers, training lowers the loss, the merged forward equals the unmerged
 * one, unmerging restores W0, and saving in PEFT's format writes a consistent directory that loads
 * back to the same outputs.
 */
class AdapterMatrixIT {

    private static final int STEPS = 15;
    private static final double MERGE_TOLERANCE = 1e-5;

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("dev.peft4j.it.Matrix#cases")
    void trainsMergesUnmergesSavesAndLoads(Combination combination, EngineBinding engine, @TempDir Path dir) {
        Plugins plugins = ItPlugins.registry();
        Backend backend = new Backend(engine, Device.cpu());
        try (Model model = backend.newModel("matrix");
                NDManager other = backend.newManager()) {
            PeftModel peft = Mlp.adapted(model.getNDManager(), combination.config(), plugins);
            Map<String, float[]> w0 = Mlp.baseWeights(peft);
            try (Training training = new Training(model, peft)) {
                float[] loss = training.steps(STEPS);
                assertTrue(loss[1] < 0.9f * loss[0], combination + ": loss went from " + loss[0] + " to " + loss[1]);
            }
            NDArray x = Mlp.input(model.getNDManager(), 5, 8);
            float[] unmerged = Mlp.predict(peft, x);

            peft.merge();
            Close.assertClose(
                    unmerged, Mlp.predict(peft, x), MERGE_TOLERANCE, combination + ": merged vs unmerged output");
            peft.unmerge();
            Map<String, float[]> restored = Mlp.baseWeights(peft);
            w0.forEach((path, weight) -> Close.assertClose(
                    weight,
                    restored.get(path),
                    MERGE_TOLERANCE,
                    combination + ": layer " + path + "'s W0 after unmerge"));

            PeftAdapters.save(peft, Mlp.ADAPTER, dir, PathMap.identity(), "integration-tests-mlp");
            try (AdapterDirectory saved = AdapterDirectory.open(dir, plugins)) {
                assertEquals(List.of(), saved.problems(), combination + ": the saved directory is consistent");
            }
            PeftModel loaded = Mlp.wrap(other, plugins);
            PeftAdapters.load(loaded, Mlp.ADAPTER, dir, PathMap.identity());
            assertArrayEquals(
                    unmerged,
                    Mlp.predict(loaded, Mlp.input(other, 5, 8)),
                    combination + ": output after save and load");
        }
    }
}
