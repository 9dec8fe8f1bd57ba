package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.RowAdapters;
import dev.peft4j.core.TargetModules;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/** A batch whose rows name different adapters (LoRA, DoRA, MoRA, none) computes what each row computes alone. */
class MixedAdapterBatchTest {

    private static final int K = 8;
    private static final List<String> ROWS = Arrays.asList("lora", "dora", null, "mora", "lora", "dora");

    private static PeftModel model(NDManager manager) {
        PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, K, 8, 4));
        TargetModules all = TargetModules.regex(".*");
        peft.addAdapter(
                "lora", AdapterConfig.builder("lora").setRank(2).optAlpha(4).build(), all);
        peft.addAdapter(
                "dora", AdapterConfig.builder("dora").setRank(2).optAlpha(4).build(), all);
        peft.addAdapter("mora", AdapterConfig.builder("mora").setRank(2).build(), all);
        Random random = new Random(9);
        peft.layers()
                .values()
                .forEach(layer -> layer.adapters()
                        .values()
                        .forEach(adapter -> adapter.peftParameters().forEach((name, p) -> {
                            if (!name.contains("magnitude")) {
                                TestModels.randomize(p, random, 0.5);
                            }
                        })));
        peft.invalidateCaches();
        return peft;
    }

    private static double[][] rowAlone(PeftModel peft, NDArray x, int row) {
        String name = ROWS.get(row);
        if (name == null) {
            peft.adapterNames().forEach(adapter -> peft.setAdapterEnabled(adapter, false));
        } else {
            peft.setActiveAdapters(name);
        }
        return Dense.fromArray(TestModels.predict(peft.block(), x.get(row + ":" + (row + 1))));
    }

    @ParameterizedTest
    @EngineSource
    void eachRowRunsWithItsOwnAdapter(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel peft = model(manager);
            NDArray x = Dense.toArray(manager, Dense.random(new Random(4), ROWS.size(), K));
            double[][] mixed;
            try (RowAdapters ignored = peft.useRowAdapters(ROWS)) {
                mixed = Dense.fromArray(TestModels.predict(peft.block(), x));
            }
            for (int row = 0; row < ROWS.size(); row++) {
                Dense.assertClose(rowAlone(peft, x, row), new double[][] {mixed[row]}, 1e-5, "row " + row);
            }
            assertTrue(
                    Dense.maxDifference(new double[][] {mixed[0]}, new double[][] {mixed[1]}) > 1e-3,
                    "the adapters differ, so the test can fail");
        }
    }

    @ParameterizedTest
    @EngineSource
    void badRowsAreRefused(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel peft = model(manager);
            String unknown = assertThrows(PeftException.class, () -> peft.useRowAdapters(List.of("lora", "legal")))
                    .getMessage();
            assertEquals("No adapter named 'legal'. Adapters: [lora, dora, mora]", unknown);
            NDArray x = Dense.toArray(manager, Dense.random(new Random(4), 3, K));
            try (RowAdapters ignored = peft.useRowAdapters(List.of("lora", "dora"))) {
                String rows = assertThrows(PeftException.class, () -> TestModels.predict(peft.block(), x))
                        .getMessage();
                assertEquals("The batch has 3 rows at layer '0' but 2 adapter names were given, one per row", rows);
            }
            try (RowAdapters ignored = peft.useRowAdapters(List.of("lora", "dora", "mora"));
                    GradientCollector collector = manager.getEngine().newGradientCollector()) {
                String training = assertThrows(
                                PeftException.class,
                                () -> peft.block().forward(new ParameterStore(manager, false), new NDList(x), true))
                        .getMessage();
                assertTrue(training.startsWith("Per-row adapters are for inference"), training);
            }
        }
    }
}
