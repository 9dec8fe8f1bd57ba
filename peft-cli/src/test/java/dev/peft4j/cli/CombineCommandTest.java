package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j combine}: writes the combined adapter, and refuses bad flags in one line (the math: AdapterCombinationTest). */
class CombineCommandTest {

    @TempDir
    Path dir;

    private Path adapter(String name, int rank, long seed) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, 6, 5));
            peft.addAdapter(
                    "default",
                    AdapterConfig.builder("lora")
                            .setRank(rank)
                            .optAlpha(2 * rank)
                            .build(),
                    TargetModules.names("0"));
            Random random = new Random(seed);
            TestModels.randomize(peft.layers().get("0").adapters().get("default"), random, 1);
            Path out = dir.resolve(name);
            PeftAdapters.save(peft, "default", out, PathMap.identity(), "tiny");
            return out;
        }
    }

    private static double[][] delta(Path adapter, double scaling) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                SafetensorsFile file = SafetensorsFile.open(adapter.resolve("adapter_model.safetensors"))) {
            double[][] a = Dense.fromArray(file.read("base_model.model.0.lora_A.weight", manager));
            double[][] b = Dense.fromArray(file.read("base_model.model.0.lora_B.weight", manager));
            return Dense.add(new double[b.length][a[0].length], scaling, Dense.matmul(b, a));
        }
    }

    @Test
    void catWritesTheWeightedSumAndBadFlagsAreOneLine() {
        Path a = adapter("a", 2, 1);
        Path b = adapter("b", 3, 2);
        Path out = dir.resolve("combined");
        CommandRunner.Result result = CommandRunner.run(
                "combine",
                "--adapter",
                a.toString(),
                "--adapter",
                b.toString(),
                "--weights",
                "0.5,1.5",
                "--type",
                "cat",
                "--out",
                out.toString());
        assertEquals(0, result.status(), result.err());
        assertEquals(
                "Wrote " + out + ": cat of 2 adapters, 1 module, r = 5",
                result.out().strip());
        double[][] expected = Dense.add(Dense.add(new double[5][6], 0.5, delta(a, 2)), 1.5, delta(b, 2));
        Dense.assertClose(expected, delta(out, 1), 1e-5, "0.5·ΔW_a + 1.5·ΔW_b");

        CommandRunner.Result again = CommandRunner.run(
                "combine",
                "--adapter",
                a.toString(),
                "--adapter",
                b.toString(),
                "--type",
                "svd",
                "--rank",
                "2",
                "--out",
                out.toString());
        assertEquals(0, again.status(), again.err());
        assertTrue(again.out().contains("svd of 2 adapters, 1 module, r = 2"), again.out());

        CommandRunner.Result weights = CommandRunner.run(
                "combine",
                "--adapter",
                a.toString(),
                "--adapter",
                b.toString(),
                "--weights",
                "1",
                "--out",
                dir.resolve("x").toString());
        assertEquals(1, weights.status());
        assertTrue(
                weights.err().contains("--weights gives 1 weight for 2 adapters: give one per --adapter"),
                weights.err());
        CommandRunner.Result linear = CommandRunner.run(
                "combine",
                "--adapter",
                a.toString(),
                "--adapter",
                b.toString(),
                "--type",
                "linear",
                "--out",
                dir.resolve("x").toString());
        assertEquals(1, linear.status());
        assertTrue(linear.err().contains("linear needs adapters of equal rank"), linear.err());
        assertEquals(1, linear.err().strip().lines().count(), linear.err());
        assertFalse(Files.exists(dir.resolve("x")), "nothing is written");
    }

    /** DoRA and MoRA adapters on one base, combined by svd through ΔW; ΔW_i comes from peft4j merge (merged − W0). */
    @Test
    void svdWithTheBaseCombinesAnyMethod() throws IOException {
        Path base = dir.resolve("base.safetensors");
        Path dora;
        Path mora;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, 6, 5));
            peft.addAdapter(
                    "dora", AdapterConfig.builder("dora").setRank(2).optAlpha(4).build(), TargetModules.names("0"));
            peft.addAdapter("mora", AdapterConfig.builder("mora").setRank(1).build(), TargetModules.names("0"));
            Random random = new Random(4);
            for (String name : List.of("dora", "mora")) {
                TestModels.randomize(peft.layers().get("0").adapters().get(name), random, 1);
            }
            peft.invalidateCaches();
            SafetensorsWriter.save(
                    base, Map.of("0.weight", peft.layers().get("0").weight().getArray()), Map.of("format", "pt"));
            dora = dir.resolve("dora");
            mora = dir.resolve("mora");
            PeftAdapters.save(peft, "dora", dora, PathMap.identity(), (String) null);
            PeftAdapters.save(peft, "mora", mora, PathMap.identity(), (String) null);
        }
        double[][] sum = new double[5][6];
        double[] weights = {0.6, 0.4};
        Path[] sources = {dora, mora};
        for (int i = 0; i < 2; i++) {
            Path merged = dir.resolve("merged-" + i + ".safetensors");
            assertEquals(
                    0,
                    CommandRunner.run(
                                    "merge",
                                    "--base",
                                    base.toString(),
                                    "--adapter",
                                    sources[i].toString(),
                                    "--out",
                                    merged.toString())
                            .status());
            double[][] delta = Dense.add(weight(merged), -1, weight(base));
            sum = Dense.add(sum, weights[i], delta);
        }
        Path out = dir.resolve("combined");
        CommandRunner.Result result = CommandRunner.run(
                "combine",
                "--adapter",
                dora.toString(),
                "--adapter",
                mora.toString(),
                "--weights",
                "0.6,0.4",
                "--type",
                "svd",
                "--rank",
                "5",
                "--base",
                base.toString(),
                "--out",
                out.toString());
        assertEquals(0, result.status(), result.err());
        Dense.assertClose(sum, delta(out, 1), 1e-4, "full-rank svd of 0.6·ΔW_dora + 0.4·ΔW_mora");

        CommandRunner.Result noBase = CommandRunner.run(
                "combine",
                "--adapter",
                dora.toString(),
                "--adapter",
                mora.toString(),
                "--type",
                "svd",
                "--out",
                dir.resolve("x").toString());
        assertEquals(1, noBase.status());
        assertTrue(
                noBase.err()
                        .contains("is dora: its update comes from the method and the base weights; pass the"
                                + " base model (--base)"),
                noBase.err());
    }

    private static double[][] weight(Path file) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                SafetensorsFile weights = SafetensorsFile.open(file)) {
            return Dense.fromArray(weights.read("0.weight", manager));
        }
    }
}
