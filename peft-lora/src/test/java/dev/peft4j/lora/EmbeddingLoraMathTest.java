package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.AdaptedEmbedding;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * LoRA on DJL's own embedding block (docs/math.md §2 on the linear map Eᵀ): the output equals the
 * lookup in {@code E + s·(B·A)ᵀ} computed here in double, gradients reach only the columns of A whose
 * tokens were looked up, and the adapter saves and loads under PEFT's embedding names.
 */
class EmbeddingLoraMathTest {

    private static final int V = 10;
    private static final int D = 6;
    private static final int OUT = 3;
    private static final int R = 2;
    private static final float ALPHA = 6;
    private static final long[] IDS = {4, 1, 4, 7, 0};
    private static final Set<Long> LOOKED_UP = Set.of(0L, 1L, 4L, 7L);

    @TempDir
    Path dir;

    private static AdapterConfig lora() {
        return AdapterConfig.builder("lora").setRank(R).optAlpha(ALPHA).build();
    }

    /** ids (1, T) → (T, OUT), the linear layer on the rows of the given table. */
    private static double[][] expected(double[][] table, SequentialBlock model) {
        double[][] rows = new double[IDS.length][];
        for (int t = 0; t < IDS.length; t++) {
            rows[t] = table[(int) IDS[t]];
        }
        Parameter weight = model.getChildren().get(1).getValue().getParameters().get("weight");
        Parameter bias = model.getChildren().get(1).getValue().getParameters().get("bias");
        return Dense.addRow(
                Dense.matmul(rows, Dense.transpose(Dense.fromArray(weight.getArray()))),
                Dense.fromArray(bias.getArray().reshape(1, -1))[0]);
    }

    private static double[][] run(PeftModel peft, NDManager manager) {
        NDArray ids = manager.create(IDS).reshape(1, IDS.length);
        return Dense.fromArray(TestModels.predict(peft.block(), ids).reshape(IDS.length, OUT));
    }

    @ParameterizedTest
    @EngineSource
    void theOutputIsTheLookupInTheAdaptedTable(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            SequentialBlock model = TestModels.embeddingThenLinear(manager, 3, V, D, OUT);
            PeftModel peft = PeftModel.wrap(model);
            peft.addAdapter("default", lora(), TargetModules.names("0"));
            AdaptedLayer layer = peft.layers().get("0");
            assertInstanceOf(AdaptedEmbedding.class, layer);
            LoraAdapter adapter = (LoraAdapter) layer.adapters().get("default");
            assertEquals(R * (V + D), adapter.trainableParameterCount());
            double[][] table = Dense.fromArray(layer.weight().getArray());
            Dense.assertClose(expected(table, model), run(peft, manager), 1e-5, "A starts at zero: no change");

            TestModels.randomize(adapter.peftParameters().get(LowRankBranch.A_NAME), new Random(8), 1);
            double[][] a = Dense.fromArray(
                    adapter.peftParameters().get(LowRankBranch.A_NAME).getArray());
            double[][] b = Dense.fromArray(
                    adapter.peftParameters().get(LowRankBranch.B_NAME).getArray());
            double[][] adapted = Dense.add(table, ALPHA / R, Dense.transpose(Dense.matmul(b, a)));
            Dense.assertClose(expected(adapted, model), run(peft, manager), 1e-4, "E + s·(B·A)ᵀ looked up");
            Dense.assertClose(
                    Dense.add(new double[D][V], ALPHA / R, Dense.matmul(b, a)),
                    Dense.fromArray(adapter.deltaWeight(null)),
                    1e-5,
                    "ΔW = s·B·A, the update of Eᵀ");

            peft.merge();
            Dense.assertClose(adapted, Dense.fromArray(layer.weight().getArray()), 1e-5, "merged table");
            Dense.assertClose(expected(adapted, model), run(peft, manager), 1e-4, "merged forward");
            peft.unmerge();
            Dense.assertClose(table, Dense.fromArray(layer.weight().getArray()), 1e-5, "unmerged table");
        }
    }

    @ParameterizedTest
    @EngineSource
    void gradientsReachOnlyTheLookedUpColumnsOfAAndNeverTheTable(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            SequentialBlock model = TestModels.embeddingThenLinear(manager, 3, V, D, OUT);
            PeftModel peft = PeftModel.wrap(model);
            peft.addAdapter("default", lora(), TargetModules.names("0"));
            LoraAdapter adapter =
                    (LoraAdapter) peft.layers().get("0").adapters().get("default");
            Parameter a = adapter.peftParameters().get(LowRankBranch.A_NAME);
            Parameter b = adapter.peftParameters().get(LowRankBranch.B_NAME);
            TestModels.randomize(a, new Random(8), 1);
            Parameter table = peft.layers().get("0").weight();
            assertTrue(!table.requiresGradient() && a.requiresGradient() && b.requiresGradient());
            try (NDManager step = manager.newSubManager()) {
                ParameterStore store = new ParameterStore(step, false);
                NDArray ids = step.create(IDS).reshape(1, IDS.length);
                try (GradientCollector collector = step.getEngine().newGradientCollector()) {
                    NDArray out =
                            peft.block().forward(store, new NDList(ids), true).head();
                    collector.backward(out.sum());
                }
                double[][] gradient = Dense.fromArray(a.getArray().getGradient().toType(DataType.FLOAT32, false));
                for (int v = 0; v < V; v++) {
                    double column = 0;
                    for (int i = 0; i < R; i++) {
                        column += Math.abs(gradient[i][v]);
                    }
                    if (LOOKED_UP.contains((long) v)) {
                        assertTrue(column > 1e-6, "token " + v + " was looked up: its column of A learns");
                    } else {
                        assertEquals(0, column, 0, "token " + v + " was not looked up");
                    }
                }
                assertTrue(b.getArray().getGradient().abs().sum().getFloat() > 0, "B learns");
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void itSavesUnderPeftsEmbeddingNamesAndLoadsBack(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel peft = PeftModel.wrap(TestModels.embeddingThenLinear(manager, 3, V, D, OUT));
            peft.addAdapter("default", lora(), TargetModules.names("0", "1"));
            peft.layers()
                    .values()
                    .forEach(layer -> layer.adapters()
                            .get("default")
                            .peftParameters()
                            .values()
                            .forEach(p -> TestModels.randomize(
                                    p, new Random(p.getShape().size()), 1)));
            double[][] before = run(peft, manager);
            Path adapterDir = dir.resolve("adapter");
            PeftAdapters.save(peft, "default", adapterDir, PathMap.identity(), (String) null);
            try (SafetensorsFile file = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"))) {
                assertEquals(
                        Set.of(
                                "base_model.model.0.lora_embedding_A",
                                "base_model.model.0.lora_embedding_B",
                                "base_model.model.1.lora_A.weight",
                                "base_model.model.1.lora_B.weight"),
                        file.tensors().keySet());
            }
            PeftModel reloaded = PeftModel.wrap(TestModels.embeddingThenLinear(manager, 3, V, D, OUT));
            PeftAdapters.load(reloaded, "default", adapterDir, PathMap.identity());
            Dense.assertClose(before, run(reloaded, manager), 1e-6, "save then load");

            PathMap swapped = PathMap.parse(java.util.List.of("0=1", "1=0"));
            PeftModel other = PeftModel.wrap(TestModels.embeddingThenLinear(manager, 3, V, D, OUT));
            String message = assertThrows(
                            PeftException.class, () -> PeftAdapters.load(other, "default", adapterDir, swapped))
                    .getMessage();
            assertTrue(message.contains("stores 0 as an embedding, but the model's 1 is a linear layer"), message);
        }
    }

    /** docs/math.md §2's embedding example: V = 3, D = 2, r = 1, s = 2. */
    @ParameterizedTest
    @EngineSource
    void theWorkedExampleOfTheDocs(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            SequentialBlock model = TestModels.embeddingThenLinear(manager, 3, 3, 2, OUT);
            PeftModel peft = PeftModel.wrap(model);
            peft.addAdapter(
                    "default",
                    AdapterConfig.builder("lora").setRank(1).optAlpha(2).build(),
                    TargetModules.names("0"));
            AdaptedLayer layer = peft.layers().get("0");
            LoraAdapter adapter = (LoraAdapter) layer.adapters().get("default");
            InPlace.copy(
                    new float[] {1, 0, -1},
                    adapter.peftParameters().get(LowRankBranch.A_NAME).getArray());
            InPlace.copy(
                    new float[] {0.5f, 1},
                    adapter.peftParameters().get(LowRankBranch.B_NAME).getArray());
            Dense.assertClose(
                    new double[][] {{1, 2}, {0, 0}, {-1, -2}},
                    Dense.fromArray(adapter.deltaWeight(null).transpose()),
                    1e-6,
                    "ΔE = s·(B·A)ᵀ");
            double[][] table = Dense.fromArray(layer.weight().getArray());
            NDArray ids = manager.create(new long[] {0, 1, 2}).reshape(1, 3);
            ParameterStore store = new ParameterStore(manager, false);
            double[][] rows = Dense.fromArray(
                    layer.forward(store, new NDList(ids), false).head().reshape(3, 2));
            Dense.assertClose(
                    Dense.add(table, 1, new double[][] {{1, 2}, {0, 0}, {-1, -2}}), rows, 1e-6, "E[ids] + ΔE[ids]");
        }
    }
}
