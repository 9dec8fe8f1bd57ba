package dev.peft4j.dora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/** Several named adapters on one model: activate, delete, hot-swap, and the errors of each. */
class ManyAdaptersTest {

    private static final int K = 4;
    private static final int D = 3;

    @TempDir
    Path dir;

    private static AdapterConfig lora(int rank) {
        return AdapterConfig.builder("lora").setRank(rank).optAlpha(2 * rank).build();
    }

    private static SequentialBlock model(NDManager manager) {
        return TestModels.mlp(manager, 1, K, D);
    }

    private static void randomize(PeftModel peft, String name, long seed) {
        Random random = new Random(seed);
        TestModels.randomize(peft.layers().get("0").adapters().get(name), random, 1);
    }

    private static double[][] run(PeftModel peft, NDArray x) {
        return Dense.fromArray(TestModels.predict(peft.block(), x));
    }

    private static double[][] trainingRun(PeftModel peft, NDArray x) {
        try (GradientCollector ignored = x.getManager().getEngine().newGradientCollector()) {
            return Dense.fromArray(peft.block()
                    .forward(new ParameterStore(x.getManager(), false), new NDList(x), true)
                    .singletonOrThrow());
        }
    }

    /** The model with only one adapter, loaded from its saved directory. */
    private double[][] alone(NDManager manager, Path adapter, NDArray x) {
        PeftModel single = PeftModel.wrap(model(manager));
        PeftAdapters.load(single, "only", adapter, PathMap.identity());
        return run(single, x);
    }

    @ParameterizedTest
    @EngineSource
    void activeAdaptersChooseWhatRunsAndDeletingReleasesEverything(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel peft = PeftModel.wrap(model(manager));
            peft.addAdapter("a", lora(2), TargetModules.names("0"));
            peft.addAdapter("b", lora(3), TargetModules.names("0"));
            randomize(peft, "a", 1);
            randomize(peft, "b", 2);
            PeftAdapters.save(peft, "b", dir.resolve("b"), PathMap.identity(), (String) null);
            NDArray x = Dense.toArray(manager, Dense.random(new Random(3), 2, K));

            peft.setActiveAdapters("b");
            assertEquals(List.of("b"), peft.activeAdapters());
            Dense.assertClose(alone(manager, dir.resolve("b"), x), run(peft, x), 1e-5, "only b runs");
            String unknown = assertThrows(PeftException.class, () -> peft.setActiveAdapters("c"))
                    .getMessage();
            assertEquals("No adapter named 'c'. Adapters: [a, b]", unknown);

            List<NDArray> before = List.copyOf(((BaseNDManager) manager).getManagedArrays());
            List<NDArray> parameters = peft.layers().get("0").adapters().get("a").peftParameters().values().stream()
                    .map(Parameter::getArray)
                    .toList();
            peft.setActiveAdapters("a");
            try (NDManager call = manager.newSubManager()) {
                x.tempAttach(call);
                run(peft, x); // the output is the call's; what the forward keeps (cached constants) is a's
            }
            peft.setActiveAdapters("b");
            peft.deleteAdapter("a");
            assertEquals(List.of("b"), List.copyOf(peft.adapterNames()));
            assertEquals(
                    List.of("b"), List.copyOf(peft.layers().get("0").adapters().keySet()));
            assertTrue(parameters.stream().allMatch(NDArray::isReleased), "a's arrays are freed");
            List<NDArray> expected = new ArrayList<>(before);
            expected.removeIf(array -> parameters.stream().anyMatch(p -> p == array));
            assertEquals(
                    expected.size(),
                    ((BaseNDManager) manager).getManagedArrays().size(),
                    "no native array of a stays behind, its forward's included");
            Dense.assertClose(alone(manager, dir.resolve("b"), x), run(peft, x), 1e-5, "b still runs");
        }
    }

    /**
     * With a LoRA adapter active too, DoRA's output is the same whether it runs first (the base
     * output scaled by m/n in one pass) or second (its update added): the base plus each adapter's
     * own update, to 1e-5, in training and eval forwards.
     */
    @ParameterizedTest
    @EngineSource
    void doraAddsTheSameUpdateFirstOrAfterAnotherAdapter(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel doraFirst = PeftModel.wrap(model(manager));
            doraFirst.addAdapter("d", AdapterConfig.builder("dora").setRank(2).build(), TargetModules.names("0"));
            doraFirst.addAdapter("l", lora(3), TargetModules.names("0"));
            randomize(doraFirst, "d", 4);
            randomize(doraFirst, "l", 5);
            PeftAdapters.save(doraFirst, "d", dir.resolve("d"), PathMap.identity(), (String) null);
            PeftAdapters.save(doraFirst, "l", dir.resolve("l"), PathMap.identity(), (String) null);
            PeftModel loraFirst = PeftModel.wrap(model(manager));
            PeftAdapters.load(loraFirst, "l", dir.resolve("l"), PathMap.identity());
            PeftAdapters.load(loraFirst, "d", dir.resolve("d"), PathMap.identity());
            NDArray x = Dense.toArray(manager, Dense.random(new Random(6), 2, K));

            double[][] base = run(PeftModel.wrap(model(manager)), x);
            double[][] dora = alone(manager, dir.resolve("d"), x);
            double[][] lora = alone(manager, dir.resolve("l"), x);
            double[][] expected = new double[base.length][D];
            for (int t = 0; t < base.length; t++) {
                for (int j = 0; j < D; j++) {
                    expected[t][j] = dora[t][j] + lora[t][j] - base[t][j];
                }
            }
            for (PeftModel peft : List.of(doraFirst, loraFirst)) {
                String order = peft.layers().get("0").adapters().keySet().toString();
                Dense.assertClose(expected, run(peft, x), 1e-5, "eval, adapters " + order);
                Dense.assertClose(expected, trainingRun(peft, x), 1e-5, "training, adapters " + order);
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void hotSwapReplacesValuesInPlaceAfterCheckingEverything(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel source = PeftModel.wrap(model(manager));
            source.addAdapter("new", lora(2), TargetModules.names("0"));
            randomize(source, "new", 7);
            PeftAdapters.save(source, "new", dir.resolve("new"), PathMap.identity(), (String) null);
            source.addAdapter("wide", lora(3), TargetModules.names("0"));
            PeftAdapters.save(source, "wide", dir.resolve("wide"), PathMap.identity(), (String) null);
            source.addAdapter(
                    "dora", AdapterConfig.builder("dora").setRank(2).optAlpha(4).build(), TargetModules.names("0"));
            PeftAdapters.save(source, "dora", dir.resolve("dora"), PathMap.identity(), (String) null);

            PeftModel peft = PeftModel.wrap(model(manager));
            peft.addAdapter("serving", lora(2), TargetModules.names("0"));
            NDArray x = Dense.toArray(manager, Dense.random(new Random(3), 2, K));
            Parameter a = peft.layers()
                    .get("0")
                    .adapters()
                    .get("serving")
                    .peftParameters()
                    .get("lora_A.weight");
            NDArray array = a.getArray();
            int before = ((BaseNDManager) manager).getManagedArrays().size();
            PeftAdapters.hotSwap(peft, "serving", dir.resolve("new"), PathMap.identity());
            assertEquals(before, ((BaseNDManager) manager).getManagedArrays().size(), "no native array left behind");
            Dense.assertClose(alone(manager, dir.resolve("new"), x), run(peft, x), 1e-6, "the new values run");
            assertTrue(a.getArray() == array, "same parameter array, overwritten in place");

            String rank = assertThrows(
                            PeftException.class,
                            () -> PeftAdapters.hotSwap(peft, "serving", dir.resolve("wide"), PathMap.identity()))
                    .getMessage();
            assertTrue(rank.startsWith("Module 0 of adapter 'serving' has r = 2, scaling 2.0;"), rank);
            String method = assertThrows(
                            PeftException.class,
                            () -> PeftAdapters.hotSwap(peft, "serving", dir.resolve("dora"), PathMap.identity()))
                    .getMessage();
            assertTrue(method.startsWith("Adapter 'serving' is lora, but "), method);
            assertTrue(
                    method.endsWith(
                            "holds a dora adapter: hot-swap replaces values only; load it under another" + " name"),
                    method);
            Dense.assertClose(
                    alone(manager, dir.resolve("new"), x), run(peft, x), 1e-6, "refused swaps change nothing");
            assertThrows(
                    PeftException.class,
                    () -> PeftAdapters.hotSwap(peft, "missing", dir.resolve("new"), PathMap.identity()));
        }
    }
}
