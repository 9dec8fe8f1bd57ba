package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * {@link PeftModel#mergeAndUnload}: the plain DJL block with the original parameter names and the
 * merged weights, which DJL's own save and load move into a block that was never wrapped; and the
 * errors of using a model after merging or closing it.
 */
class MergeAndUnloadTest {

    private static final int[] WIDTHS = {6, 10, 7, 4};

    @TempDir
    Path dir;

    private static PeftModel adapted(Block mlp, long seed) {
        PeftModel peft = PeftModel.wrap(mlp)
                .addAdapter(
                        "default",
                        AdapterConfig.builder("lora").setRank(3).optAlpha(6).build(),
                        TargetModules.names("0", "4"));
        Random random = new Random(seed);
        for (AdaptedLayer layer : peft.layers().values()) {
            // B starts at zero; random values make ΔW matter
            TestModels.randomize(
                    layer.adapters().get("default").peftParameters().get(LowRankBranch.B_NAME), random, 1.0);
        }
        return peft;
    }

    @ParameterizedTest
    @EngineSource
    void theUnloadedBlockHasTheOriginalNamesTheMergedWeightsAndLoadsIntoANeverWrappedBlock(EngineBinding engine)
            throws IOException, MalformedModelException {
        String engineName = engine.engine().getEngineName();
        try (Model model = Model.newInstance("mlp", engineName);
                Model fresh = Model.newInstance("mlp", engineName)) {
            SequentialBlock mlp = TestModels.mlp(model.getNDManager(), 1, WIDTHS);
            List<String> originalNames = mlp.getParameters().keys();
            PeftModel peft = adapted(mlp, 2);
            NDManager manager = model.getNDManager().newSubManager();
            NDArray x = manager.randomNormal(new Shape(5, WIDTHS[0]));
            double[][] expected = Dense.fromArray(TestModels.predict(peft.block(), x));
            double[][] base = Dense.fromArray(TestModels.predict(TestModels.mlp(manager, 1, WIDTHS), x));
            assertTrue(Dense.maxDifference(expected, base) > 1e-2, "the adapter changes the output");
            NDArray loraA = peft.layers()
                    .get("0")
                    .adapters()
                    .get("default")
                    .peftParameters()
                    .get(LowRankBranch.A_NAME)
                    .getArray();

            Block plain = peft.mergeAndUnload();

            assertSame(mlp, plain, "the root was not a targeted layer, so it is the same block");
            assertEquals(originalNames, plain.getParameters().keys(), "parameter names as before wrapping");
            assertTrue(ModuleTree.linearLayers(plain).stream().allMatch(layer -> layer.block() instanceof Linear));
            assertTrue(loraA.isReleased(), "the adapter's arrays are released");
            Dense.assertClose(
                    expected,
                    Dense.fromArray(TestModels.predict(plain, x)),
                    1e-5,
                    "the merged block computes the same");

            model.setBlock(plain);
            model.save(dir, "mlp");
            SequentialBlock neverWrapped = TestModels.mlp(fresh.getNDManager(), 99, WIDTHS);
            fresh.setBlock(neverWrapped);
            fresh.load(dir, "mlp");
            NDArray xFresh = fresh.getNDManager().create(x.toFloatArray(), x.getShape());
            Dense.assertClose(
                    expected,
                    Dense.fromArray(TestModels.predict(neverWrapped, xFresh)),
                    1e-5,
                    "DJL's save and load carry the merged weights into the original architecture");

            PeftException again = assertThrows(
                    PeftException.class,
                    () -> peft.addAdapter(
                            "next", AdapterConfig.builder("lora").setRank(2).build(), TargetModules.names("0")));
            assertTrue(
                    again.getMessage().startsWith("mergeAndUnload() took this model's adapters out"),
                    again.getMessage());
            manager.close();
        }
    }

    @ParameterizedTest
    @EngineSource
    void aTrainingForwardWithEveryAdapterMergedSaysToUnmerge(EngineBinding engine) {
        try (NDManager manager = NDManager.newBaseManager(engine.engine().getEngineName())) {
            PeftModel peft = adapted(TestModels.mlp(manager, 3, WIDTHS), 4);
            NDArray x = manager.randomNormal(new Shape(2, WIDTHS[0]));
            peft.merge();
            PeftException error = assertThrows(PeftException.class, () -> trainingForward(peft, x));
            assertEquals(
                    "A training forward with every adapter merged into the base weights (layer '0': [default]): "
                            + "nothing can learn. Call unmerge() before training",
                    error.getMessage());
            // a second, unmerged adapter on another layer can train while the first stays merged
            peft.addAdapter("second", AdapterConfig.builder("lora").setRank(2).build(), TargetModules.names("2"));
            assertEquals(2, trainingForward(peft, x).getShape().dimension());
            peft.unmerge();
            assertFalse(peft.layers().get("0").isMerged());
            assertEquals(2, trainingForward(peft, x).getShape().dimension());
        }
    }

    /** LoRA has no restarts: asking for one is refused before any base weight changes. */
    @ParameterizedTest
    @EngineSource
    void aRefusedRestartLeavesTheModelAsItWas(EngineBinding engine) {
        try (NDManager manager = NDManager.newBaseManager(engine.engine().getEngineName())) {
            PeftModel peft = adapted(TestModels.mlp(manager, 3, WIDTHS), 4);
            NDArray x = manager.randomNormal(new Shape(2, WIDTHS[0]));
            float[] before = TestModels.predict(peft.block(), x).toFloatArray();
            float[] weight = peft.layers().get("0").weight().getArray().toFloatArray();
            PeftException error = assertThrows(PeftException.class, () -> peft.mergeAndRestart("default"));
            assertTrue(error.getMessage().endsWith("does not support restarts"), error.getMessage());
            assertArrayEquals(weight, peft.layers().get("0").weight().getArray().toFloatArray(), "W0 unchanged");
            assertArrayEquals(before, TestModels.predict(peft.block(), x).toFloatArray(), "the output unchanged");
        }
    }

    @ParameterizedTest
    @EngineSource
    void aForwardAfterTheModelWasClosedSaysSo(EngineBinding engine) {
        PeftModel peft;
        try (NDManager weights = NDManager.newBaseManager(engine.engine().getEngineName())) {
            peft = adapted(TestModels.mlp(weights, 5, WIDTHS), 6);
        }
        try (NDManager manager = NDManager.newBaseManager(engine.engine().getEngineName())) {
            NDArray x = manager.randomNormal(new Shape(2, WIDTHS[0]));
            PeftException error = assertThrows(PeftException.class, () -> TestModels.predict(peft.block(), x));
            assertEquals(
                    "Layer '0' has no weights any more: the model (or the NDManager that holds its parameters) "
                            + "was closed. Use a model only inside its try-with-resources block",
                    error.getMessage());
            String closed =
                    "The model's weights were released: its DJL Model (or the NDManager that holds its parameters) "
                            + "was closed. Use a model only inside its try-with-resources block";
            assertEquals(closed, assertThrows(PeftException.class, peft::merge).getMessage());
            assertEquals(
                    closed,
                    assertThrows(
                                    PeftException.class,
                                    () -> peft.addAdapter(
                                            "next",
                                            AdapterConfig.builder("lora")
                                                    .setRank(2)
                                                    .build(),
                                            TargetModules.names("2")))
                            .getMessage());
        }
    }

    private static NDArray trainingForward(PeftModel peft, NDArray x) {
        ParameterStore store = new ParameterStore(x.getManager(), false);
        return peft.block().forward(store, new NDList(x), true).singletonOrThrow();
    }
}
