package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.AdaptedLinear;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.WeightInit;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/** LoRA's math (docs/math.md §2) against a plain-Java reference, on every engine. */
class LoraMathTest {

    private static NDManager manager(EngineBinding engine) {
        return NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
    }

    private static void set(Parameter parameter, double[][] values) {
        float[] flat = new float[values.length * values[0].length];
        for (int i = 0; i < values.length; i++) {
            for (int j = 0; j < values[0].length; j++) {
                flat[i * values[0].length + j] = (float) values[i][j];
            }
        }
        InPlace.copy(flat, parameter.getArray());
    }

    /** The adapted layer computes x·(W0 + s·B·A)ᵀ + b to 1e-5, with s = α/r and α/√r. */
    @ParameterizedTest
    @EngineSource
    void forwardEqualsTheDenseFormula(EngineBinding engine) {
        for (boolean rsLora : new boolean[] {false, true}) {
            try (NDManager manager = manager(engine)) {
                int k = 9;
                int d = 7;
                int r = 4;
                Linear linear = Linear.builder().setUnits(d).build();
                linear.initialize(manager, DataType.FLOAT32, new Shape(1, k));
                Random random = new Random(21);
                TestModels.randomize(linear, random, 1.0);
                double[][] w0 =
                        Dense.fromArray(linear.getParameters().get("weight").getArray());
                double[] bias = linear.getParameters()
                        .get("bias")
                        .getArray()
                        .toType(DataType.FLOAT64, false)
                        .toDoubleArray();
                PeftModel peft = PeftModel.wrap(linear);
                AdapterConfig config = AdapterConfig.builder("lora")
                        .setRank(r)
                        .optAlpha(16)
                        .optRsLora(rsLora)
                        .build();
                peft.addAdapter("default", config, TargetModules.regex(".*"));
                Adapter adapter = ((AdaptedLinear) peft.block()).adapters().get("default");
                double[][] a = Dense.roundToFloat(Dense.random(random, r, k));
                double[][] b = Dense.roundToFloat(Dense.random(random, d, r));
                set(adapter.peftParameters().get("lora_A.weight"), a);
                set(adapter.peftParameters().get("lora_B.weight"), b);

                double s = rsLora ? 16 / Math.sqrt(r) : 16.0 / r;
                assertEquals(rsLora ? 8.0 : 4.0, s, 1e-12);
                double[][] delta = Dense.matmul(b, a);
                double[][] x = Dense.random(random, 5, k);
                double[][] expected = Dense.addRow(Dense.matmul(x, Dense.transpose(Dense.add(w0, s, delta))), bias);
                double[][] actual = Dense.fromArray(TestModels.predict(peft.block(), Dense.toArray(manager, x)));
                Dense.assertClose(expected, actual, 1e-5 * Dense.scale(expected), "LoRA forward, rsLoRA=" + rsLora);
                double[][] engineDelta = Dense.fromArray(adapter.deltaWeight(null));
                Dense.assertClose(
                        Dense.add(new double[d][k], s, delta),
                        engineDelta,
                        1e-5 * s * Dense.scale(delta),
                        "ΔW = s·B·A");
            }
        }
    }

    /** A is U(−1/√k, 1/√k) (PEFT's Kaiming default) or N(0, 1/r); B starts at zero. */
    @ParameterizedTest
    @EngineSource
    void initialisationFollowsPeft(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            int k = 256;
            int r = 4;
            AdapterTarget target = AdapterTarget.of("layer", k, 32, DataType.FLOAT32);
            LoraAdapter kaiming =
                    new LoraAdapter(AdapterConfig.builder("lora").setRank(r).build(), target, false);
            kaiming.initialize(manager, DataType.FLOAT32, new Shape(1, k));
            float[] a = kaiming.peftParameters().get("lora_A.weight").getArray().toFloatArray();
            double bound = 1 / Math.sqrt(k);
            for (float v : a) {
                assertTrue(Math.abs(v) <= bound, "|" + v + "| <= 1/√k");
            }
            assertEquals(bound / Math.sqrt(3), std(a), 0.1 * bound / Math.sqrt(3), "std of U(±1/√k)");
            for (float v :
                    kaiming.peftParameters().get("lora_B.weight").getArray().toFloatArray()) {
                assertEquals(0f, v);
            }

            LoraAdapter gaussian = new LoraAdapter(
                    AdapterConfig.builder("lora")
                            .setRank(r)
                            .optInit(WeightInit.GAUSSIAN)
                            .build(),
                    target,
                    false);
            gaussian.initialize(manager, DataType.FLOAT32, new Shape(1, k));
            assertEquals(
                    1.0 / r,
                    std(gaussian.peftParameters()
                            .get("lora_A.weight")
                            .getArray()
                            .toFloatArray()),
                    0.1 / r);
        }
    }

    private static double std(float[] values) {
        double sum = 0;
        double squares = 0;
        for (float v : values) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / values.length;
        return Math.sqrt(squares / values.length - mean * mean);
    }

    /** Dropout acts on A's input: with A = B = I each output is 0 or s·x/(1 − p) in training, s·x in eval. */
    @ParameterizedTest
    @EngineSource
    void dropoutAppliesToTheInputOfA(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            int n = 8;
            float p = 0.5f;
            AdapterConfig config = AdapterConfig.builder("lora")
                    .setRank(n)
                    .optAlpha(2 * n)
                    .optDropout(p)
                    .build();
            LoraAdapter adapter = new LoraAdapter(config, AdapterTarget.of("layer", n, n, DataType.FLOAT32), false);
            adapter.initialize(manager, DataType.FLOAT32, new Shape(1, n));
            double[][] identity = new double[n][n];
            for (int i = 0; i < n; i++) {
                identity[i][i] = 1;
            }
            set(adapter.peftParameters().get("lora_A.weight"), identity);
            set(adapter.peftParameters().get("lora_B.weight"), identity);
            double[][] x = new double[64][n];
            for (double[] row : x) {
                Arrays.fill(row, 1.5);
            }
            NDArray input = Dense.toArray(manager, x);
            NDArray unused = manager.zeros(new Shape(64, n));
            ParameterStore store = new ParameterStore(manager, false);
            double[][] eval = Dense.fromArray(adapter.forward(store, Adapter.inputs(input, unused, unused), false)
                    .head());
            Dense.assertClose(Dense.add(new double[64][n], 2, x), eval, 1e-6, "eval: s·x");
            double[][] train;
            try (GradientCollector ignored = manager.getEngine().newGradientCollector()) {
                train = Dense.fromArray(adapter.forward(store, Adapter.inputs(input, unused, unused), true)
                        .head());
            }
            int zeros = 0;
            for (double[] row : train) {
                for (double v : row) {
                    if (v == 0) {
                        zeros++;
                    } else {
                        assertEquals(2 * 1.5 / (1 - p), v, 1e-5, "kept entries are scaled by 1/(1−p)");
                    }
                }
            }
            assertTrue(zeros > 64 * n / 4 && zeros < 64 * n * 3 / 4, "about half dropped: " + zeros);
        }
    }

    /** PEFT's rank_pattern and alpha_pattern give each layer its own r and α. */
    @ParameterizedTest
    @EngineSource
    void patternsGiveLayersTheirOwnRankAndAlpha(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, 6, 7, 5));
            AdapterConfig config = AdapterConfig.builder("lora")
                    .setRank(4)
                    .optAlpha(8)
                    .optRankPattern("2", 1)
                    .optAlphaPattern("2", 3)
                    .build();
            peft.addAdapter("default", config, TargetModules.regex(".*"));
            Adapter first = peft.layers().get("0").adapters().get("default");
            Adapter last = peft.layers().get("2").adapters().get("default");
            assertEquals(
                    new Shape(4, 6), first.peftParameters().get("lora_A.weight").getShape());
            assertEquals(
                    new Shape(5, 1), last.peftParameters().get("lora_B.weight").getShape());
            assertEquals(2f, first.config().scaling());
            assertEquals(3f, last.config().scaling());
            assertEquals(4 * (6 + 7) + (5 + 7), peft.parameterReport().trainable());
        }
    }
}
