package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.InPlace;
import dev.peft4j.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j analyze} on adapters whose ΔW is known in closed form: B = [3·e1, 1·e2], A = [e_a; e_b]
 * gives σ = (3s, s), entropy rank exp(H(0.75, 0.25)), ‖ΔW‖_F = s·√10, and with W0 = 2·I the
 * amplification s·√10 / ‖2·I_2‖_F.
 */
class AnalyzeCommandTest {

    private static final int N = 6;
    private static final double S = 2; // α = 4, r = 2

    @TempDir
    Path dir;

    /** A LoRA adapter on layer 0 with B = [3·e1, e2] and A rows e_first, e_second. */
    private Path lora(String name, int first, int second) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, N, N));
            peft.addAdapter(
                    "default",
                    AdapterConfig.builder("lora").setRank(2).optAlpha(4).build(),
                    TargetModules.names("0"));
            Adapter adapter = peft.layers().get("0").adapters().get("default");
            float[] a = new float[2 * N];
            a[first] = 1;
            a[N + second] = 1;
            float[] b = new float[N * 2];
            b[0] = 3; // B[0][0]
            b[3] = 1; // B[1][1]
            InPlace.copy(a, adapter.peftParameters().get("lora_A.weight").getArray());
            InPlace.copy(b, adapter.peftParameters().get("lora_B.weight").getArray());
            Path out = dir.resolve(name);
            PeftAdapters.save(peft, "default", out, PathMap.identity(), (String) null);
            return out;
        }
    }

    private Path base() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Path file = dir.resolve("base.safetensors");
            SafetensorsWriter.save(
                    file,
                    Map.of("0.weight", manager.eye(N).mul(2), "0.bias", manager.zeros(new Shape(N))),
                    Map.of("format", "pt"));
            return file;
        }
    }

    /** The first module of the first adapter in analysis.json. */
    private JsonObject firstModule(Path out) throws IOException {
        return analysis(out)
                .getAsJsonArray("adapters")
                .get(0)
                .getAsJsonObject()
                .getAsJsonArray("modules")
                .get(0)
                .getAsJsonObject();
    }

    private JsonObject analysis(Path out) throws IOException {
        return JsonParser.parseString(Files.readString(out.resolve("analysis.json")))
                .getAsJsonObject();
    }

    private static void compare(Path first, Path second, Path out) {
        CommandRunner.Result result = CommandRunner.run(
                "analyze", "--adapter", first.toString(), "--adapter", second.toString(), "--out", out.toString());
        assertEquals(0, result.status(), result.err());
    }

    @Test
    void theKnownSpectrumRankAndAmplificationAreReported() throws IOException {
        Path a = lora("a", 0, 1);
        Path out = dir.resolve("out");
        CommandRunner.Result result = CommandRunner.run(
                "analyze", "--adapter", a.toString(), "--base", base().toString(), "--out", out.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("entropy rank"), result.out());
        JsonObject module = firstModule(out);
        assertEquals("0", module.get("module").getAsString());
        JsonArray sigma = module.getAsJsonArray("singularValues");
        assertEquals(3 * S, sigma.get(0).getAsDouble(), 1e-5);
        assertEquals(S, sigma.get(1).getAsDouble(), 1e-5);
        assertEquals(0, sigma.get(2).getAsDouble(), 1e-5);
        assertEquals(2, module.get("thresholdRank").getAsInt());
        double entropy = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        assertEquals(Math.exp(entropy), module.get("entropyRank").getAsDouble(), 1e-4);
        assertEquals(S * Math.sqrt(10), module.get("frobeniusNorm").getAsDouble(), 1e-5);
        assertEquals(
                S * Math.sqrt(10) / Math.sqrt(8), module.get("amplification").getAsDouble(), 1e-5);
        assertTrue(Files.size(out.resolve("spectra-1.png")) > 1000, "the spectra are drawn");

        CommandRunner.Result noBase = CommandRunner.run(
                "analyze",
                "--adapter",
                a.toString(),
                "--out",
                dir.resolve("nobase").toString());
        assertEquals(0, noBase.status(), noBase.err());
        JsonObject factorsOnly = firstModule(dir.resolve("nobase"));
        assertEquals(3 * S, factorsOnly.getAsJsonArray("singularValues").get(0).getAsDouble(), 1e-5);
        assertTrue(factorsOnly.get("amplification").isJsonNull(), "no base, no amplification");
    }

    @Test
    void anUntrainedAdapterHasRankZeroAndTooManyTopDirectionsAreRefused() throws IOException {
        Path untrained;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, N, N));
            peft.addAdapter(
                    "default",
                    AdapterConfig.builder("lora").setRank(2).optAlpha(4).build(),
                    TargetModules.names("0"));
            untrained = dir.resolve("untrained");
            PeftAdapters.save(peft, "default", untrained, PathMap.identity(), (String) null);
        }
        Path out = dir.resolve("out");
        CommandRunner.Result result = CommandRunner.run(
                "analyze", "--adapter", untrained.toString(), "--base", base().toString(), "--out", out.toString());
        assertEquals(0, result.status(), result.err());
        JsonObject module = firstModule(out);
        assertEquals(0, module.get("thresholdRank").getAsInt(), "B = 0: ΔW = 0");
        assertEquals(0, module.get("entropyRank").getAsDouble(), 0);
        assertEquals(0, module.get("frobeniusNorm").getAsDouble(), 0);

        CommandRunner.Result refused = CommandRunner.run(
                "analyze",
                "--adapter",
                lora("a", 0, 1).toString(),
                "--base",
                base().toString(),
                "--top",
                String.valueOf(N + 1),
                "--out",
                dir.resolve("top").toString());
        assertEquals(1, refused.status());
        assertTrue(
                refused.err().contains("--top " + (N + 1) + " exceeds module 0's size (" + N + ", " + N + ")"),
                refused.err());
    }

    @Test
    void subspaceSimilarityIsOneForTheSameDirectionsAndZeroForOrthogonalOnes() throws IOException {
        Path a = lora("a", 0, 1);
        Path same = lora("same", 1, 0);
        Path orthogonal = lora("orthogonal", 2, 3);
        Path out = dir.resolve("out");
        compare(a, same, out);
        JsonArray phi = analysis(out).getAsJsonArray("meanSubspaceSimilarity");
        assertEquals(1, phi.get(1).getAsJsonArray().get(1).getAsDouble(), 1e-6, "φ(2, 2): the same plane");
        assertEquals(0, phi.get(0).getAsJsonArray().get(0).getAsDouble(), 1e-6, "φ(1, 1): top direction e1 against e2");
        assertTrue(Files.size(out.resolve("similarity.png")) > 1000, "the φ grid is drawn");
        compare(a, orthogonal, out);
        JsonArray none = analysis(out).getAsJsonArray("meanSubspaceSimilarity");
        assertEquals(0, none.get(1).getAsJsonArray().get(1).getAsDouble(), 1e-6, "orthogonal planes");
    }

    @Test
    void moraHasAHigherRankUpdateThanLoraAtTheSameBudgetAndNeedsTheBase() throws IOException {
        Path adapter;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, N, N));
            peft.addAdapter("default", AdapterConfig.builder("mora").setRank(1).build(), TargetModules.names("0"));
            TestModels.randomize(
                    peft.layers()
                            .get("0")
                            .adapters()
                            .get("default")
                            .peftParameters()
                            .get("lora_A.weight"),
                    new Random(3),
                    1);
            adapter = dir.resolve("mora");
            PeftAdapters.save(peft, "default", adapter, PathMap.identity(), (String) null);
        }
        CommandRunner.Result refused = CommandRunner.run(
                "analyze",
                "--adapter",
                adapter.toString(),
                "--out",
                dir.resolve("x").toString());
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("is mora: its ΔW comes from the method and the base weights"), refused.err());
        Path out = dir.resolve("out");
        CommandRunner.Result result = CommandRunner.run(
                "analyze", "--adapter", adapter.toString(), "--base", base().toString(), "--out", out.toString());
        assertEquals(0, result.status(), result.err());
        int rank = firstModule(out).get("thresholdRank").getAsInt();
        assertTrue(rank > 1, "MoRA with LoRA's r = 1 budget updates with rank " + rank + " > 1");
    }
}
