package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import com.google.gson.JsonParser;
import dev.peft4j.core.AdaptedLayer;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * PEFT's {@code lora_bias}: B has a bias b_B, the branch adds {@code s·b_B} and a merge adds it to
 * the layer's bias, {@code b ← b + s·b_B}. Expected values are computed here in double from the
 * parameters' values.
 */
class LoraBiasTest {

    private static final int K = 4;
    private static final int D = 5;
    private static final int R = 2;
    private static final float ALPHA = 6;

    @TempDir
    Path dir;

    private static AdapterConfig config() {
        return AdapterConfig.builder("lora")
                .setRank(R)
                .optAlpha(ALPHA)
                .optOption(LoraFactory.LORA_BIAS, "true")
                .build();
    }

    private static double[] vector(Parameter parameter) {
        return Dense.fromArray(parameter.getArray().reshape(1, -1))[0];
    }

    @ParameterizedTest
    @EngineSource
    void theBranchAddsScaledBiasAndMergingMovesItIntoTheLayerBias(EngineBinding engine) throws IOException {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            SequentialBlock mlp = TestModels.mlp(manager, 1, K, D);
            Parameter bias = mlp.getChildren().get(0).getValue().getParameters().get("bias");
            PeftModel peft = PeftModel.wrap(mlp);
            peft.addAdapter("default", config(), TargetModules.names("0"));
            AdaptedLayer layer = peft.layers().get("0");
            LoraAdapter adapter = (LoraAdapter) layer.adapters().get("default");
            assertEquals(R * (K + D) + D, adapter.trainableParameterCount(), "A, B and b_B");
            Random random = new Random(5);
            TestModels.randomize(adapter, random, 1);

            double s = ALPHA / R;
            double[][] w0 = Dense.fromArray(layer.weight().getArray());
            double[] b0 = vector(bias);
            double[][] a = Dense.fromArray(
                    adapter.peftParameters().get(LowRankBranch.A_NAME).getArray());
            double[][] bm = Dense.fromArray(
                    adapter.peftParameters().get(LowRankBranch.B_NAME).getArray());
            double[] bBias = vector(adapter.peftParameters().get(LoraAdapter.B_BIAS_NAME));
            double[][] x = Dense.random(new Random(6), 3, K);
            double[][] mergedWeight = Dense.add(w0, s, Dense.matmul(bm, a));
            double[] mergedBias = new double[D];
            for (int i = 0; i < D; i++) {
                mergedBias[i] = b0[i] + s * bBias[i];
            }
            double[][] expected = Dense.addRow(Dense.matmul(x, Dense.transpose(mergedWeight)), mergedBias);
            NDArray input = Dense.toArray(manager, x);
            Dense.assertClose(expected, Dense.fromArray(TestModels.predict(peft.block(), input)), 1e-5, "unmerged");
            int arrays = ((BaseNDManager) manager).getManagedArrays().size();
            try (NDManager call = manager.newSubManager()) {
                input.tempAttach(call);
                TestModels.predict(peft.block(), input);
            }
            assertEquals(
                    arrays,
                    ((BaseNDManager) manager).getManagedArrays().size(),
                    "a forward in its own manager leaves nothing in the model's (s·b_B included)");

            peft.merge();
            Dense.assertClose(new double[][] {mergedBias}, new double[][] {vector(bias)}, 1e-6, "b + s·b_B");
            Dense.assertClose(expected, Dense.fromArray(TestModels.predict(peft.block(), input)), 1e-5, "merged");
            peft.unmerge();
            Dense.assertClose(new double[][] {b0}, new double[][] {vector(bias)}, 1e-6, "unmerge restores b");

            PeftAdapters.save(peft, "default", dir.resolve("adapter"), PathMap.identity(), (String) null);
            assertTrue(JsonParser.parseString(Files.readString(dir.resolve("adapter/adapter_config.json")))
                    .getAsJsonObject()
                    .get("lora_bias")
                    .getAsBoolean());
            PeftModel reloaded = PeftModel.wrap(TestModels.mlp(manager, 1, K, D));
            PeftAdapters.load(reloaded, "default", dir.resolve("adapter"), PathMap.identity());
            Dense.assertClose(
                    expected, Dense.fromArray(TestModels.predict(reloaded.block(), input)), 1e-5, "save then load");
        }
    }

    @ParameterizedTest
    @EngineSource
    void aLayerWithoutBiasRefusesIt(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel peft = PeftModel.wrap(TestModels.namedChain(manager, K, List.of("q")));
            String message = assertThrows(
                            PeftException.class, () -> peft.addAdapter("default", config(), TargetModules.names("q")))
                    .getMessage();
            assertTrue(message.contains("Layer 'q' has no bias"), message);
        }
    }
}
