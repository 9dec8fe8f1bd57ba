package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.testing.PluginJars;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsTest {

    private static final String SERVICE = AdapterFactory.class.getName();
    private static final String OPERATOR = CompressionOperator.class.getName();

    @TempDir Path dir;

    @Test
    void loadsJarsFromADirectory() {
        PluginJars.build(
                dir.resolve("fancy.jar"), SERVICE, Map.of("com.example.Fancy", PluginJars.adapterFactorySource("com.example.Fancy", "Fancy")));
        Plugins plugins = Plugins.load(dir);
        assertEquals("com.example.Fancy", plugins.adapter("fancy").getClass().getName());
        assertEquals("com.example.Fancy", plugins.adapter("FANCY").getClass().getName(), "names are case-insensitive");
        assertEquals(List.of(), plugins.problems());
    }

    @Test
    void unknownNameListsTheAvailableOnes() {
        PluginJars.build(
                dir.resolve("a.jar"), SERVICE, Map.of("com.example.A", PluginJars.adapterFactorySource("com.example.A", "alpha")));
        PluginJars.build(
                dir.resolve("b.jar"), SERVICE, Map.of("com.example.B", PluginJars.adapterFactorySource("com.example.B", "beta")));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir).adapter("vera"));
        assertEquals(
                "Unknown adapter 'vera'. Available: [alpha, beta]. Add the jar that provides it to the class path.",
                error.getMessage());
        PeftException engine = assertThrows(PeftException.class, () -> Plugins.load(dir).engine("tensorflow"));
        assertTrue(engine.getMessage().startsWith("Unknown engine 'tensorflow'. Available: []"), engine.getMessage());
    }

    @Test
    void duplicateNamesFailNamingBothClassesAndJars() {
        PluginJars.build(
                dir.resolve("one.jar"), SERVICE, Map.of("com.one.Lora", PluginJars.adapterFactorySource("com.one.Lora", "twin")));
        PluginJars.build(
                dir.resolve("two.jar"), SERVICE, Map.of("com.two.Lora", PluginJars.adapterFactorySource("com.two.Lora", "twin")));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir));
        String message = error.getMessage();
        assertTrue(message.startsWith("Two adapter plugins are named 'twin'"), message);
        for (String part : List.of("com.one.Lora", "com.two.Lora", "one.jar", "two.jar")) {
            assertTrue(message.contains(part), "message names " + part + ": " + message);
        }
    }

    @Test
    void aThrowingProviderIsReportedAndTheOthersStillLoad() {
        PluginJars.build(
                dir.resolve("mixed.jar"),
                SERVICE,
                Map.of(
                        "com.example.Good", PluginJars.adapterFactorySource("com.example.Good", "good"),
                        "com.example.Bad", PluginJars.throwingAdapterFactorySource("com.example.Bad")));
        Plugins plugins = Plugins.load(dir);
        assertEquals("good", plugins.adapter("good").name());
        assertEquals(1, plugins.problems().size());
        PluginProblem problem = plugins.problems().get(0);
        assertEquals("com.example.Bad", problem.className());
        assertTrue(problem.source().endsWith("mixed.jar"), problem.source());
        assertTrue(problem.message().contains("constructor failed on purpose"), problem.message());
    }

    @Test
    void aProviderCompiledAgainstAnotherSpiIsReportedWhenTheRegistryLoads() {
        PluginJars.build(
                dir.resolve("older.jar"),
                SERVICE,
                Map.of("com.example.Older", PluginJars.olderSpiAdapterFactorySource("com.example.Older", "older")),
                PluginJars.olderSpiStubs());
        PluginJars.build(
                dir.resolve("newer.jar"),
                SERVICE,
                Map.of("com.example.Newer", PluginJars.newerSpiAdapterFactorySource("com.example.Newer", "newer")),
                PluginJars.newerSpiStubs());
        PluginJars.build(
                dir.resolve("good.jar"), SERVICE, Map.of("com.example.Good", PluginJars.adapterFactorySource("com.example.Good", "good")));
        Plugins plugins = Plugins.load(dir);
        assertEquals(List.of("good"), plugins.adapters().stream().map(AdapterFactory::name).toList());
        assertEquals(2, plugins.problems().size(), plugins.problems().toString());
        PluginProblem newer = plugins.problems().get(0);
        PluginProblem older = plugins.problems().get(1);
        assertEquals("com.example.Older", older.className());
        assertTrue(older.source().endsWith("older.jar"), older.source());
        assertTrue(older.message().startsWith(
                "it does not implement Adapter AdapterFactory.create(AdapterConfig, AdapterTarget, Plugins)"), older.message());
        assertEquals("com.example.Newer", newer.className());
        assertTrue(newer.source().endsWith("newer.jar"), newer.source());
        assertTrue(newer.message().startsWith("NoClassDefFoundError dev/peft4j/spi/AdapterHints"), newer.message());
        assertTrue(newer.message().contains("compiled against another version of peft-spi"), newer.message());
    }

    @Test
    void twoVersionsOfOneProviderClassFailNamingBothJars() {
        PluginJars.build(
                dir.resolve("plugin-1.0.jar"), SERVICE, Map.of("com.example.Twice", PluginJars.adapterFactorySource("com.example.Twice", "twice")));
        PluginJars.build(
                dir.resolve("plugin-1.1.jar"), SERVICE, Map.of("com.example.Twice", PluginJars.adapterFactorySource("com.example.Twice", "twice-1.1")));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir));
        String message = error.getMessage();
        assertTrue(message.startsWith("Two jars hold different versions of the adapter plugin com.example.Twice: "), message);
        assertTrue(message.contains("plugin-1.0.jar") && message.contains("plugin-1.1.jar"), message);
    }

    @Test
    void identicalCopiesOfAJarCountOnce() throws Exception {
        Path jar = PluginJars.build(
                dir.resolve("plugin.jar"), SERVICE, Map.of("com.example.Once", PluginJars.adapterFactorySource("com.example.Once", "once")));
        Files.copy(jar, dir.resolve("plugin-copy.jar"));
        Plugins plugins = Plugins.load(dir);
        assertEquals("com.example.Once", plugins.adapter("once").getClass().getName());
        assertEquals(List.of(), plugins.problems());
    }

    @Test
    void aLineThatIsNoClassNameIsReported() throws Exception {
        Path jar = dir.resolve("typo.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("META-INF/services/" + SERVICE));
            out.write("# a comment\ncom.example.Not A Class\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        PluginProblem problem = Plugins.load(dir).problems().get(0);
        assertTrue(problem.source().endsWith("typo.jar"), problem.source());
        assertEquals("line 2 of META-INF/services/" + SERVICE + " is not a class name: 'com.example.Not A Class'", problem.message());
    }

    @Test
    void jarsThatDoNotOpenOrDeclareNoPluginAreReportedByNameAndTheOthersStillLoad() throws Exception {
        PluginJars.build(
                dir.resolve("good.jar"), SERVICE, Map.of("com.example.Good", PluginJars.adapterFactorySource("com.example.Good", "good")));
        Files.write(dir.resolve("random.jar"), new byte[] {17, 99, -3, 42, 0, 7, 8, 1});
        Files.createFile(dir.resolve("empty.jar"));
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(dir.resolve("annotations-only.jar")))) {
            out.putNextEntry(new JarEntry("com/example/Plugin.class"));
            out.write(new byte[] {(byte) 0xca, (byte) 0xfe});
            out.closeEntry();
        }
        Files.createDirectory(dir.resolve("folder.jar"));
        Plugins plugins = Plugins.load(dir);
        assertEquals("good", plugins.adapter("good").name());
        List<String> problems = plugins.problems().stream().map(PluginProblem::toString).toList();
        assertEquals(4, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("plugin jar " + dir.resolve("annotations-only.jar") + ": provides no plugin: it has "
                + "no META-INF/services file for dev.peft4j.spi.AdapterFactory, CompressionOperator or EngineBinding. "
                + "With @AutoService the annotation processor must run"), problems.get(0));
        assertTrue(problems.get(1).startsWith("plugin jar " + dir.resolve("empty.jar") + ": cannot be opened as a jar (ZipException"),
                problems.get(1));
        assertEquals("plugin jar " + dir.resolve("folder.jar") + ": is not a regular file; it is left out", problems.get(2));
        assertTrue(problems.get(3).startsWith("plugin jar " + dir.resolve("random.jar") + ": cannot be opened as a jar ("),
                problems.get(3));
        assertTrue(problems.get(3).endsWith("); it is left out"), problems.get(3));
    }

    @Test
    void aMissingFirstPartyPluginNamesTheDependencyToAdd() {
        Plugins plugins = Plugins.load(dir);
        assertEquals("Unknown adapter 'DoRA'. Available: []. Add the dependency dev.peft4j:peft-dora (it provides the adapter 'dora').",
                assertThrows(PeftException.class, () -> plugins.adapter("DoRA")).getMessage());
        assertEquals("Unknown operator 'sharing'. Available: []. "
                        + "Add the dependency dev.peft4j:mora-op-sharing (it provides the operator 'sharing').",
                assertThrows(PeftException.class, () -> plugins.operator("sharing")).getMessage());
        assertEquals("Unknown engine 'mxnet'. Available: []. Add the dependency dev.peft4j:engine-mxnet (it provides the engine 'mxnet').",
                assertThrows(PeftException.class, () -> plugins.engine("mxnet")).getMessage());
        assertEquals("No MoRA operator computes mora_type 6. Available types (operator): {}. "
                        + "Add the dependency dev.peft4j:mora-op-rotation (it computes mora_type 6).",
                assertThrows(PeftException.class, () -> plugins.operatorByMoraType(6)).getMessage());
        assertEquals("Unknown adapter 'vera'. Available: []. Add the jar that provides it to the class path.",
                assertThrows(PeftException.class, () -> plugins.adapter("vera")).getMessage());
    }

    @Test
    void operatorsAreFoundByTheirOfficialMoraType() {
        PluginJars.build(
                dir.resolve("ops.jar"),
                OPERATOR,
                Map.of(
                        "com.example.One", PluginJars.operatorSource("com.example.One", "one", 1),
                        "com.example.Six", PluginJars.operatorSource("com.example.Six", "six", 6),
                        "com.example.Paper", PluginJars.operatorSource("com.example.Paper", "paper", -1)));
        Plugins plugins = Plugins.load(dir);
        assertEquals("six", plugins.operatorByMoraType(6).name());
        assertEquals("one", plugins.operatorByMoraType(1).name());
        PeftException error = assertThrows(PeftException.class, () -> plugins.operatorByMoraType(4));
        assertEquals(
                "No MoRA operator computes mora_type 4. Available types (operator): {1=one, 6=six}. "
                        + "Add the dependency dev.peft4j:mora-op-sharing (it computes mora_type 4).",
                error.getMessage());
    }

    @Test
    void twoOperatorsClaimingOneMoraTypeFailNamingBoth() {
        PluginJars.build(
                dir.resolve("a.jar"), OPERATOR, Map.of("com.a.Rope", PluginJars.operatorSource("com.a.Rope", "rope-a", 6)));
        PluginJars.build(
                dir.resolve("b.jar"), OPERATOR, Map.of("com.b.Rope", PluginJars.operatorSource("com.b.Rope", "rope-b", 6)));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir).operatorByMoraType(6));
        String message = error.getMessage();
        assertTrue(message.startsWith("Two MoRA operators claim mora_type 6"), message);
        for (String part : List.of("rope-a", "rope-b", "com.a.Rope", "com.b.Rope", "a.jar", "b.jar")) {
            assertTrue(message.contains(part), "message names " + part + ": " + message);
        }
    }

    @Test
    void aMissingDirectoryIsAClearError() {
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir.resolve("nope")));
        assertTrue(error.getMessage().contains("nope"), error.getMessage());
    }

    @Test
    void theDefaultRegistryIsBuiltOnce() {
        assertTrue(Plugins.defaults() == Plugins.defaults());
    }
}
