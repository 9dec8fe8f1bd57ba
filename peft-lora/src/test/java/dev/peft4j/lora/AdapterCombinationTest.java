package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.AdapterCombination;
import dev.peft4j.core.io.AdapterCombination.Source;
import dev.peft4j.core.io.AdapterCombination.Type;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEFT's add_weighted_adapter combinations of LoRA files, against ΔW computed here in double from
 * the stored factors: cat is Σ w_i·ΔW_i, linear is (Σ √(w_i s_i) B_i)(Σ √(w_i s_i) A_i), svd is the
 * best rank-R approximation of Σ w_i·ΔW_i (checked against a direct SVD of the dense sum).
 */
class AdapterCombinationTest {

    private static final int K = 6;
    private static final int D = 5;
    private static final String MODULE = "0";

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Saves a LoRA adapter on layer 0 of an MLP with random A and B; returns its directory. */
    private Path adapter(String name, int rank, float alpha, long seed) {
        PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, K, D, 3));
        peft.addAdapter(
                "default",
                AdapterConfig.builder("lora").setRank(rank).optAlpha(alpha).build(),
                TargetModules.names(MODULE));
        Random random = new Random(seed);
        peft.layers()
                .values()
                .forEach(layer -> TestModels.randomize(layer.adapters().get("default"), random, 1));
        Path out = dir.resolve(name);
        PeftAdapters.save(peft, "default", out, PathMap.identity(), "tiny");
        return out;
    }

    private double[][] factor(Path adapter, String name) {
        try (SafetensorsFile file = SafetensorsFile.open(adapter.resolve("adapter_model.safetensors"))) {
            return Dense.fromArray(file.read("base_model.model." + MODULE + "." + name, manager));
        }
    }

    /** s·B·A of layer 0, read back from the file. */
    private double[][] delta(Path adapter, double scaling) {
        return Dense.add(
                new double[D][K],
                scaling,
                Dense.matmul(factor(adapter, "lora_B.weight"), factor(adapter, "lora_A.weight")));
    }

    private Path combine(Type type, Integer rank, Source... sources) {
        Path out = dir.resolve("combined-" + type + "-" + rank);
        AdapterCombination.combine(List.of(sources), type, rank, null, out, Plugins.defaults(), manager);
        return out;
    }

    @Test
    void catIsTheWeightedSumOfTheUpdates() {
        Path a = adapter("a", 2, 4, 1);
        Path b = adapter("b", 3, 9, 2);
        Path cat = combine(Type.CAT, null, new Source(a, 0.7), new Source(b, -0.4));
        double[][] expected = Dense.add(Dense.add(new double[D][K], 0.7, delta(a, 2)), -0.4, delta(b, 3));
        Dense.assertClose(expected, delta(cat, 1), 1e-5, "cat: ΔW = Σ w_i ΔW_i, scaling 1");
        assertEquals(5, factor(cat, "lora_A.weight").length, "ranks add up");
    }

    @Test
    void linearMixesTheFactorsAsPeftDoes() {
        Path a = adapter("a", 2, 4, 1);
        Path b = adapter("b", 2, 6, 2);
        Path linear = combine(Type.LINEAR, null, new Source(a, 0.5), new Source(b, 2));
        double wa = Math.sqrt(0.5 * 2);
        double wb = Math.sqrt(2 * 3);
        double[][] mixedB =
                Dense.add(Dense.add(new double[D][2], wa, factor(a, "lora_B.weight")), wb, factor(b, "lora_B.weight"));
        double[][] mixedA =
                Dense.add(Dense.add(new double[2][K], wa, factor(a, "lora_A.weight")), wb, factor(b, "lora_A.weight"));
        Dense.assertClose(Dense.matmul(mixedB, mixedA), delta(linear, 1), 1e-5, "linear");

        Path c = adapter("c", 3, 3, 3);
        String message = assertThrows(
                        PeftException.class, () -> combine(Type.LINEAR, null, new Source(a, 1), new Source(c, 1)))
                .getMessage();
        assertTrue(message.startsWith("linear needs adapters of equal rank; module 0 has r = 2"), message);
        assertTrue(message.endsWith("use cat or svd"), message);
    }

    @Test
    void svdIsTheBestRankRApproximationOfTheWeightedSum() {
        Path a = adapter("a", 2, 4, 1);
        Path b = adapter("b", 3, 9, 2);
        double[][] sum = Dense.add(Dense.add(new double[D][K], 0.7, delta(a, 2)), 0.3, delta(b, 3));
        Dense.assertClose(
                sum, delta(combine(Type.SVD, 5, new Source(a, 0.7), new Source(b, 0.3)), 1), 1e-4, "full rank");

        double[][] truncated = delta(combine(Type.SVD, 2, new Source(a, 0.7), new Source(b, 0.3)), 1);
        Dense.assertClose(bestRank(sum, 2), truncated, 1e-4, "rank 2, as a direct SVD of the dense sum gives");
        assertEquals(
                3,
                factor(combine(Type.SVD, null, new Source(a, 0.7), new Source(b, 0.3)), "lora_A.weight").length,
                "default rank: the largest");
    }

    @Test
    void svdTakesZeroWeightsCapsItsRankAtTheSumOfRanksAndRefusesNonFiniteWeights() {
        Path a = adapter("a", 2, 4, 1);
        Path b = adapter("b", 3, 9, 2);
        Path zero = combine(Type.SVD, 2, new Source(a, 1), new Source(b, 0));
        Dense.assertClose(delta(a, 2), delta(zero, 1), 1e-5, "a zero weight leaves the other adapter's ΔW");

        Path capped = combine(Type.SVD, 4, new Source(a, 1));
        assertEquals(2, factor(capped, "lora_A.weight").length, "rank min(R, Σ r_i): no zero directions are written");
        Dense.assertClose(delta(a, 2), delta(capped, 1), 1e-5, "the capped result is still exact");

        for (double weight : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            String message = assertThrows(PeftException.class, () -> new Source(a, weight))
                    .getMessage();
            assertTrue(message.contains("is " + weight + ": weights must be finite numbers"), message);
        }
    }

    /** The best rank-r approximation by a direct SVD of the dense matrix. */
    private static double[][] bestRank(double[][] m, int rank) {
        DMatrixRMaj matrix = new DMatrixRMaj(m);
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(matrix.numRows, matrix.numCols, true, true, false);
        assertTrue(svd.decompose(matrix));
        double[] s = svd.getSingularValues();
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj v = svd.getV(null, false);
        Integer[] order = {0, 1, 2, 3, 4};
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        double[][] out = new double[m.length][m[0].length];
        for (int j = 0; j < rank; j++) {
            int c = order[j];
            for (int i = 0; i < m.length; i++) {
                for (int l = 0; l < m[0].length; l++) {
                    out[i][l] += u.get(i, c) * s[c] * v.get(l, c);
                }
            }
        }
        return out;
    }

    @Test
    void theResultLoadsAsAPeftAdapterAndBadInputIsRefused() throws Exception {
        Path a = adapter("a", 2, 4, 1);
        Path cat = combine(Type.CAT, null, new Source(a, 1), new Source(adapter("b", 3, 9, 2), 1));
        String config = Files.readString(cat.resolve("adapter_config.json"));
        assertTrue(config.contains("\"r\": 5") && config.contains("\"lora_alpha\": 5"), config);
        PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, K, D, 3));
        PeftAdapters.load(peft, "combined", cat, PathMap.identity());
        assertEquals(List.of(MODULE), List.copyOf(peft.layers().keySet()));

        PeftModel biased = PeftModel.wrap(TestModels.mlp(manager, 1, K, D, 3));
        biased.addAdapter(
                "default",
                AdapterConfig.builder("lora")
                        .setRank(2)
                        .optOption("lora_bias", "true")
                        .build(),
                TargetModules.names(MODULE));
        PeftAdapters.save(biased, "default", dir.resolve("biased"), PathMap.identity(), (String) null);
        Path refusedOut = dir.resolve("refused");
        String refused = assertThrows(
                        PeftException.class,
                        () -> AdapterCombination.combine(
                                List.of(new Source(a, 1), new Source(dir.resolve("biased"), 1)),
                                Type.CAT,
                                null,
                                null,
                                refusedOut,
                                Plugins.defaults(),
                                manager))
                .getMessage();
        assertTrue(refused.contains("linear and cat combine the factors of plain LoRA adapters"), refused);
        assertFalse(Files.exists(refusedOut), "nothing is written");
        assertEquals(
                "Unknown combination type 'sum': expected linear, cat or svd",
                assertThrows(PeftException.class, () -> Type.of("sum")).getMessage());
    }
}
