package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.peft4j.cli.CommandRunner;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.Backend;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.mora.OperatorInvariants;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The third-party example plugin, dropped into a directory: it is not on the class path, the
 * registry of the directory finds both its plugins in its jar, {@code peft4j --plugins DIR list}
 * shows them, and their math matches plain-Java references on every engine.
 */
class ThirdPartyPluginIT {

    @Test
    void itIsFoundInThePluginDirectoryAndNotOnTheClassPath() {
        for (String name : List.of(ThirdPartyPlugin.ADAPTER_CLASS, ThirdPartyPlugin.OPERATOR_CLASS)) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name + " is not on the class path");
        }
        Plugins plugins = ItPlugins.registry();
        assertEquals(List.of(), plugins.problems());
        for (Class<?> plugin : List.of(
                plugins.adapter(ThirdPartyPlugin.ADAPTER).getClass(),
                MoraOperators.named(plugins, ThirdPartyPlugin.OPERATOR).getClass())) {
            Path jar = Path.of(
                    plugin.getProtectionDomain().getCodeSource().getLocation().getPath());
            assertEquals(
                    ItPlugins.directory().toAbsolutePath(),
                    jar.getParent().toAbsolutePath(),
                    plugin + " comes from " + jar);
            assertTrue(jar.getFileName().toString().startsWith("third-party-plugin-"), jar.toString());
        }
    }

    @Test
    void peft4jListShowsItsAdapterAndOperator() {
        CommandRunner.Result result =
                CommandRunner.run("--plugins", ItPlugins.directory().toString(), "list");
        assertEquals(0, result.status(), result.err());
        String out = result.out();
        assertTrue(
                Pattern.compile("(?m)^  lora-rowscale +com\\.example\\.peft4j\\.RowScaledLoraFactory$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  strided +paper only +com\\.example\\.peft4j\\.StridedOperator$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  lora +dev\\.peft4j\\.lora\\.LoraFactory$")
                        .matcher(out)
                        .find(),
                "the class path's plugins stay: " + out);
        assertFalse(out.contains("failed to load"), out);
    }

    @ParameterizedTest
    @EngineSource
    void stridedSatisfiesTheOperatorIdentitiesOnEveryShape(EngineBinding engine) {
        OperatorInvariants.Spec spec = new OperatorInvariants.Spec(
                ThirdPartyPlugin.OPERATOR, rHat -> rHat, (d, k, rHat) -> true, ThirdPartyPlugin::stridedDeltaWeight);
        int[] checked = OperatorInvariants.checkAll(engine, spec, ItPlugins.registry());
        assertEquals(OperatorInvariants.shapes().size(), checked[0], "every shape is in the operator's domain");
    }

    @ParameterizedTest
    @EngineSource
    void rowScaledLoraComputesItsDefinition(EngineBinding engine) {
        try (NDManager manager = new Backend(engine, Device.cpu()).newManager()) {
            Plugins plugins = ItPlugins.registry();
            PeftModel peft = Mlp.adapted(
                    manager,
                    Matrix.combination(plugins, ThirdPartyPlugin.ADAPTER).config(),
                    plugins);
            Mlp.randomizeAdapters(peft, 21);
            for (AdaptedLayer layer : peft.layers().values()) {
                Adapter adapter = layer.adapters().get(Mlp.ADAPTER);
                Map<String, Parameter> parameters = adapter.peftParameters();
                double[][] a = Dense.fromArray(parameters.get("lora_A.weight").getArray());
                double[][] b = Dense.fromArray(parameters.get("lora_B.weight").getArray());
                double[] g =
                        toDoubles(parameters.get(ThirdPartyPlugin.ROW_SCALE).getArray());
                double[][] expected =
                        ThirdPartyPlugin.rowScaledDeltaWeight(adapter.config().scaling(), g, b, a);
                try (NDArray delta = adapter.deltaWeight(layer.weight().getArray())) {
                    Dense.assertClose(expected, Dense.fromArray(delta), 1e-5, "ΔW of layer " + layer.path());
                }
            }
        }
    }

    private static double[] toDoubles(NDArray array) {
        float[] values = array.toFloatArray();
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    /** Its adapters go through the PEFT format as LoRA's do: save, inspect, merge and load, with no method name in core. */
    @Test
    void itsAdaptersAreSavedInspectedMergedAndLoadedLikeLoras(@TempDir Path dir) {
        Plugins plugins = ItPlugins.registry();
        AdapterConfig config = AdapterConfig.builder(ThirdPartyPlugin.ADAPTER)
                .setRank(4)
                .optAlpha(8)
                .build();
        Path adapterDir = dir.resolve("adapter");
        Path base = dir.resolve("base.safetensors");
        Path merged = dir.resolve("merged.safetensors");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            PeftModel peft = Mlp.adapted(manager, config, plugins);
            Mlp.randomizeAdapters(peft, 3);
            NDArray x = Mlp.input(manager, 4, 5);
            float[] expected = Mlp.predict(peft, x);
            Map<String, float[]> w0 = Mlp.baseWeights(peft);
            Map<String, float[]> delta = Mlp.deltaWeights(peft);
            Map<String, NDArray> baseArrays = new LinkedHashMap<>();
            ModuleTree.baseParameters(peft.block())
                    .forEach((name, parameter) -> baseArrays.put(name, parameter.getArray()));
            SafetensorsWriter.save(base, baseArrays, Map.of());
            PeftAdapters.save(peft, Mlp.ADAPTER, adapterDir, PathMap.identity(), "mlp");

            CommandRunner.Result inspect =
                    CommandRunner.run("--plugins", ItPlugins.directory().toString(), "inspect", adapterDir.toString());
            assertEquals(0, inspect.status(), inspect.err());
            for (String line :
                    List.of("method: " + ThirdPartyPlugin.ADAPTER, "3 adapted modules:", "No problems found.")) {
                assertTrue(inspect.out().contains(line), line + " in " + inspect.out());
            }
            assertTrue(
                    inspect.out().contains("lora_row_scale"),
                    "the module table shows the method's own tensor: " + inspect.out());

            CommandRunner.Result merge = CommandRunner.run(
                    "--plugins",
                    ItPlugins.directory().toString(),
                    "merge",
                    "--base",
                    base.toString(),
                    "--adapter",
                    adapterDir.toString(),
                    "--out",
                    merged.toString());
            assertEquals(0, merge.status(), merge.err());
            try (SafetensorsFile file = SafetensorsFile.open(merged)) {
                w0.forEach((path, weight) -> {
                    float[] expectedWeight = weight.clone();
                    float[] d = delta.get(path);
                    for (int i = 0; i < expectedWeight.length; i++) {
                        expectedWeight[i] += d[i];
                    }
                    Close.assertClose(expectedWeight, file.readFloats(path + ".weight"), 1e-5, "merged " + path);
                });
            }

            PeftModel loaded = Mlp.wrap(manager, plugins);
            PeftAdapters.load(loaded, Mlp.ADAPTER, adapterDir, PathMap.identity());
            assertArrayEquals(expected, Mlp.predict(loaded, x), "outputs after save and load");
        }
    }
}
