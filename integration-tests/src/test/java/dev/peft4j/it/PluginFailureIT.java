package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.cli.CommandRunner;
import dev.peft4j.core.Backend;
import dev.peft4j.engine.mxnet.MxNetBinding;
import dev.peft4j.engine.pytorch.PyTorchBinding;
import dev.peft4j.lora.LoraFactory;
import dev.peft4j.mora.spi.CompressionOperator;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.DjlEngineBinding;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.PluginProblem;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.PluginJars;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the registry fails, with the third-party plugin beside the broken jars: every message names
 * the jar and the class, and a provider that cannot work is reported when the registry loads.
 */
class PluginFailureIT {

    private static final String ADAPTERS = AdapterFactory.class.getName();
    private static final String OPERATORS = CompressionOperator.class.getName();
    private static final String ENGINE_SERVICES = "META-INF/services/" + EngineBinding.class.getName();

    @TempDir
    Path dir;

    private Path dropInThirdPartyPlugin(String fileName) throws IOException {
        try (var jars = Files.list(ItPlugins.directory())) {
            Path jar =
                    jars.filter(f -> f.toString().endsWith(".jar")).findFirst().orElseThrow();
            return Files.copy(jar, dir.resolve(fileName));
        }
    }

    private static void assertNames(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message names " + part + ": " + message);
        }
    }

    @Test
    void twoJarsWithPluginsOfOneNameFailNamingBothClassesAndJars() throws IOException {
        dropInThirdPartyPlugin("third-party.jar");
        PluginJars.build(
                dir.resolve("clash.jar"),
                ADAPTERS,
                Map.of(
                        "com.clash.RowScale",
                        PluginJars.adapterFactorySource("com.clash.RowScale", ThirdPartyPlugin.ADAPTER)));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir));
        assertTrue(error.getMessage().startsWith("Two adapter plugins are named 'lora-rowscale'"), error.getMessage());
        assertNames(
                error.getMessage(),
                ThirdPartyPlugin.ADAPTER_CLASS,
                "third-party.jar",
                "com.clash.RowScale",
                "clash.jar");
    }

    @Test
    void aDroppedInOperatorNamedLikeABuiltInOneFailsNamingBothJars() {
        PluginJars.build(
                dir.resolve("sharing.jar"),
                OPERATORS,
                Map.of("com.clash.Sharing", PluginJars.operatorSource("com.clash.Sharing", "sharing", -1)));
        Plugins plugins = Plugins.load(dir);
        PeftException error = assertThrows(PeftException.class, () -> MoraOperators.of(plugins));
        assertTrue(error.getMessage().startsWith("Two operator plugins are named 'sharing'"), error.getMessage());
        assertNames(
                error.getMessage(),
                "dev.peft4j.mora.op.sharing.SharingOperator",
                "mora-op-sharing",
                "com.clash.Sharing",
                "sharing.jar");
    }

    @Test
    void twoVersionsOfOnePluginJarFailNamingBothButIdenticalCopiesCountOnce() throws IOException {
        dropInThirdPartyPlugin("third-party-plugin-1.1.jar");
        dropInThirdPartyPlugin("third-party-plugin-copy.jar");
        assertEquals(
                ThirdPartyPlugin.ADAPTER,
                Plugins.load(dir).adapter(ThirdPartyPlugin.ADAPTER).name(),
                "a copy is harmless");
        PluginJars.build(
                dir.resolve("third-party-plugin-1.0.jar"),
                ADAPTERS,
                Map.of(
                        ThirdPartyPlugin.ADAPTER_CLASS,
                        PluginJars.adapterFactorySource(ThirdPartyPlugin.ADAPTER_CLASS, ThirdPartyPlugin.ADAPTER)));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir));
        assertTrue(
                error.getMessage()
                        .startsWith("Two jars hold different versions of the adapter plugin "
                                + ThirdPartyPlugin.ADAPTER_CLASS),
                error.getMessage());
        assertNames(error.getMessage(), "third-party-plugin-1.0.jar", "third-party-plugin-1.1.jar");
    }

    @Test
    void aThrowingConstructorIsReportedWithItsClassAndJarAndTheOthersStillLoad() throws IOException {
        dropInThirdPartyPlugin("third-party.jar");
        PluginJars.build(
                dir.resolve("broken.jar"),
                ADAPTERS,
                Map.of("com.broken.Factory", PluginJars.throwingAdapterFactorySource("com.broken.Factory")));
        Plugins plugins = Plugins.load(dir);
        assertEquals(
                ThirdPartyPlugin.ADAPTER,
                plugins.adapter(ThirdPartyPlugin.ADAPTER).name());
        assertEquals(1, plugins.problems().size(), plugins.problems().toString());
        PluginProblem problem = plugins.problems().get(0);
        assertEquals("com.broken.Factory", problem.className());
        assertTrue(problem.source().endsWith("broken.jar"), problem.source());
        assertEquals("its constructor threw: IllegalStateException constructor failed on purpose", problem.message());

        CommandRunner.Result list = CommandRunner.run("--plugins", dir.toString(), "list");
        assertEquals(0, list.status(), list.err());
        assertTrue(list.out().contains("Plugin problems:\n  " + problem), list.out());
        assertTrue(list.out().contains("  " + ThirdPartyPlugin.ADAPTER + " "), list.out());
    }

    @Test
    void listNamesEveryJarThatDoesNotOpenOrDeclaresNoPlugin() throws IOException {
        dropInThirdPartyPlugin("third-party.jar");
        Files.createFile(dir.resolve("empty.jar"));
        try (var out = new JarOutputStream(Files.newOutputStream(dir.resolve("no-services.jar")))) {
            out.putNextEntry(new JarEntry("com/example/Forgotten.class"));
            out.closeEntry();
        }
        CommandRunner.Result list = CommandRunner.run("--plugins", dir.toString(), "list");
        assertEquals(0, list.status(), list.err());
        assertTrue(list.out().contains("  " + ThirdPartyPlugin.ADAPTER + " "), list.out());
        assertTrue(list.out().contains("Plugin problems:\n"), list.out());
        assertTrue(
                list.out().contains("  plugin jar " + dir.resolve("empty.jar") + ": cannot be opened as a jar"),
                list.out());
        assertTrue(
                list.out().contains("  plugin jar " + dir.resolve("no-services.jar") + ": provides no plugin"),
                list.out());
    }

    @Test
    void pluginsBuiltAgainstAnotherSpiAreReportedWhenTheRegistryLoadsNotWhenCalled() throws IOException {
        dropInThirdPartyPlugin("third-party.jar");
        PluginJars.build(
                dir.resolve("older.jar"),
                ADAPTERS,
                Map.of("com.older.Factory", PluginJars.olderSpiAdapterFactorySource("com.older.Factory", "older")),
                PluginJars.olderSpiStubs());
        PluginJars.build(
                dir.resolve("newer.jar"),
                ADAPTERS,
                Map.of("com.newer.Factory", PluginJars.newerSpiAdapterFactorySource("com.newer.Factory", "newer")),
                PluginJars.newerSpiStubs());
        Plugins plugins = Plugins.load(dir);
        assertEquals(
                ThirdPartyPlugin.ADAPTER,
                plugins.adapter(ThirdPartyPlugin.ADAPTER).name());
        List<String> problems =
                plugins.problems().stream().map(PluginProblem::toString).toList();
        assertEquals(2, problems.size(), problems.toString());
        assertNames(
                problems.get(0),
                "com.newer.Factory",
                "newer.jar",
                "NoClassDefFoundError dev/peft4j/spi/AdapterHints",
                "compiled against another version of peft-spi");
        assertNames(
                problems.get(1),
                "com.older.Factory",
                "older.jar",
                "does not implement Adapter AdapterFactory.create(AdapterConfig, AdapterTarget, Plugins)",
                "compiled against another version of peft-spi");
        PeftException unknown = assertThrows(PeftException.class, () -> plugins.adapter("older"));
        assertTrue(
                unknown.getMessage().startsWith("Unknown adapter 'older'"),
                "never handed out to fail later: " + unknown.getMessage());
    }

    @Test
    void noEngineOnTheClassPathNamesTheArtifactsToAdd() {
        Plugins plugins = Plugins.load(new HidingClassLoader(getClass().getClassLoader(), List.of(ENGINE_SERVICES)));
        assertTrue(plugins.engines().isEmpty());
        PeftException error = assertThrows(PeftException.class, () -> Backend.select(null, null, plugins));
        assertEquals(
                "No engine is on the class path: add dev.peft4j:engine-pytorch or dev.peft4j:engine-mxnet",
                error.getMessage());
    }

    @Test
    void enginesWhoseNativeJarsAreMissingNameTheArtifactsToAdd() throws IOException {
        ClassLoader withoutNatives = new HidingClassLoader(
                getClass().getClassLoader(), List.of(ENGINE_SERVICES, "dev/peft4j/engine/", "native/", "jnilib/"));
        try (URLClassLoader engines = new URLClassLoader(
                new URL[] {location(PyTorchBinding.class), location(MxNetBinding.class)}, withoutNatives)) {
            Plugins plugins = Plugins.load(engines);
            assertEquals(
                    List.of("mxnet", "pytorch"),
                    plugins.engines().stream().map(EngineBinding::name).toList());
            assertEquals(LoraFactory.class, plugins.adapter("lora").getClass(), "the rest of the class path stays");
            String platform = DjlEngineBinding.platform();

            PeftException auto = assertThrows(PeftException.class, () -> Backend.select("auto", "cpu", plugins));
            assertTrue(auto.getMessage().startsWith("No usable engine:"), auto.getMessage());
            assertNames(
                    auto.getMessage(),
                    "pytorch: its native library jar is not on the class path: add ai.djl.pytorch:pytorch-native-cpu:2.7.1:"
                            + platform,
                    "mxnet: its native library jar is not on the class path: add ai.djl.mxnet:mxnet-native-mkl:1.9.1:"
                            + platform);

            PeftException named = assertThrows(PeftException.class, () -> Backend.select("mxnet", "cpu", plugins));
            assertTrue(
                    named.getMessage()
                            .startsWith(
                                    "Engine 'mxnet' is not usable: its native library jar is not on the class path: "
                                            + "add ai.djl.mxnet:mxnet-native-mkl:1.9.1:" + platform),
                    named.getMessage());
        }
    }

    private static URL location(Class<?> cls) {
        return cls.getProtectionDomain().getCodeSource().getLocation();
    }
}
