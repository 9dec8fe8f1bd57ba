package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.testkit.PluginJars;
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

    @TempDir
    Path dir;

    @Test
    void loadsJarsFromADirectory() {
        PluginJars.build(
                dir.resolve("fancy.jar"),
                SERVICE,
                Map.of("com.example.Fancy", PluginJars.adapterFactorySource("com.example.Fancy", "Fancy")));
        Plugins plugins = Plugins.load(dir);
        assertEquals("com.example.Fancy", plugins.adapter("fancy").getClass().getName());
        assertEquals("com.example.Fancy", plugins.adapter("FANCY").getClass().getName(), "names are case-insensitive");
        assertEquals(List.of(), plugins.problems());
    }

    @Test
    void unknownNameListsTheAvailableOnes() {
        PluginJars.build(
                dir.resolve("a.jar"),
                SERVICE,
                Map.of("com.example.A", PluginJars.adapterFactorySource("com.example.A", "alpha")));
        PluginJars.build(
                dir.resolve("b.jar"),
                SERVICE,
                Map.of("com.example.B", PluginJars.adapterFactorySource("com.example.B", "beta")));
        PeftException error =
                assertThrows(PeftException.class, () -> Plugins.load(dir).adapter("vera"));
        assertEquals(
                "Unknown adapter 'vera'. Available: [alpha, beta]. Add the jar that provides it to the class path.",
                error.getMessage());
        PeftException engine =
                assertThrows(PeftException.class, () -> Plugins.load(dir).engine("tensorflow"));
        assertTrue(engine.getMessage().startsWith("Unknown engine 'tensorflow'. Available: []"), engine.getMessage());
    }

    @Test
    void duplicateNamesFailNamingBothClassesAndJars() {
        PluginJars.build(
                dir.resolve("one.jar"),
                SERVICE,
                Map.of("com.one.Lora", PluginJars.adapterFactorySource("com.one.Lora", "twin")));
        PluginJars.build(
                dir.resolve("two.jar"),
                SERVICE,
                Map.of("com.two.Lora", PluginJars.adapterFactorySource("com.two.Lora", "twin")));
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
                dir.resolve("good.jar"),
                SERVICE,
                Map.of("com.example.Good", PluginJars.adapterFactorySource("com.example.Good", "good")));
        Plugins plugins = Plugins.load(dir);
        assertEquals(
                List.of("good"),
                plugins.adapters().stream().map(AdapterFactory::name).toList());
        assertEquals(2, plugins.problems().size(), plugins.problems().toString());
        PluginProblem newer = plugins.problems().get(0);
        PluginProblem older = plugins.problems().get(1);
        assertEquals("com.example.Older", older.className());
        assertTrue(older.source().endsWith("older.jar"), older.source());
        assertTrue(
                older.message()
                        .startsWith(
                                "it does not implement Adapter AdapterFactory.create(AdapterConfig, AdapterTarget, Plugins)"),
                older.message());
        assertEquals("com.example.Newer", newer.className());
        assertTrue(newer.source().endsWith("newer.jar"), newer.source());
        assertTrue(newer.message().startsWith("NoClassDefFoundError dev/peft4j/spi/AdapterHints"), newer.message());
        assertTrue(newer.message().contains("compiled against another version of peft-spi"), newer.message());
    }

    @Test
    void twoVersionsOfOneProviderClassFailNamingBothJars() {
        PluginJars.build(
                dir.resolve("plugin-1.0.jar"),
                SERVICE,
                Map.of("com.example.Twice", PluginJars.adapterFactorySource("com.example.Twice", "twice")));
        PluginJars.build(
                dir.resolve("plugin-1.1.jar"),
                SERVICE,
                Map.of("com.example.Twice", PluginJars.adapterFactorySource("com.example.Twice", "twice-1.1")));
        PeftException error = assertThrows(PeftException.class, () -> Plugins.load(dir));
        String message = error.getMessage();
        assertTrue(
                message.startsWith("Two jars hold different versions of the adapter plugin com.example.Twice: "),
                message);
        assertTrue(message.contains("plugin-1.0.jar") && message.contains("plugin-1.1.jar"), message);
    }

    @Test
    void identicalCopiesOfAJarCountOnce() throws Exception {
        Path jar = PluginJars.build(
                dir.resolve("plugin.jar"),
                SERVICE,
                Map.of("com.example.Once", PluginJars.adapterFactorySource("com.example.Once", "once")));
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
        assertEquals(
                "line 2 of META-INF/services/" + SERVICE + " is not a class name: 'com.example.Not A Class'",
                problem.message());
    }

    @Test
    void jarsThatDoNotOpenOrDeclareNoPluginAreReportedByNameAndTheOthersStillLoad() throws Exception {
        PluginJars.build(
                dir.resolve("good.jar"),
                SERVICE,
                Map.of("com.example.Good", PluginJars.adapterFactorySource("com.example.Good", "good")));
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
        List<String> problems =
                plugins.problems().stream().map(PluginProblem::toString).toList();
        assertEquals(4, problems.size(), problems.toString());
        assertTrue(
                problems.get(0)
                        .startsWith(
                                "plugin jar " + dir.resolve("annotations-only.jar") + ": provides no plugin: it has "
                                        + "no META-INF/services file for a peft4j interface (dev.peft4j.spi.AdapterFactory, EngineBinding, a "
                                        + "method's own). With @AutoService the annotation processor must run"),
                problems.get(0));
        assertTrue(
                problems.get(1)
                        .startsWith(
                                "plugin jar " + dir.resolve("empty.jar") + ": cannot be opened as a jar (ZipException"),
                problems.get(1));
        assertEquals(
                "plugin jar " + dir.resolve("folder.jar") + ": is not a regular file; it is left out", problems.get(2));
        assertTrue(
                problems.get(3).startsWith("plugin jar " + dir.resolve("random.jar") + ": cannot be opened as a jar ("),
                problems.get(3));
        assertTrue(problems.get(3).endsWith("); it is left out"), problems.get(3));
    }

    @Test
    void aMissingFirstPartyPluginNamesTheDependencyToAdd() {
        Plugins plugins = Plugins.load(dir);
        assertEquals(
                "Unknown adapter 'DoRA'. Available: []. Add the dependency dev.peft4j:peft-dora (it provides the adapter 'dora').",
                assertThrows(PeftException.class, () -> plugins.adapter("DoRA")).getMessage());
        assertEquals(
                "Unknown engine 'mxnet'. Available: []. Add the dependency dev.peft4j:engine-mxnet (it provides the engine 'mxnet').",
                assertThrows(PeftException.class, () -> plugins.engine("mxnet")).getMessage());
        assertEquals(
                "Unknown adapter 'vera'. Available: []. Add the jar that provides it to the class path.",
                assertThrows(PeftException.class, () -> plugins.adapter("vera")).getMessage());
    }

    @Test
    void anyKindOfPluginIsFoundThroughAnOpenRegistryAndNamesAreChecked() {
        PluginJars.build(
                dir.resolve("kinds.jar"),
                Greeter.class.getName(),
                Map.of(
                        "com.example.Hello", greeterSource("com.example.Hello", "hello"),
                        "com.example.Spaced", greeterSource("com.example.Spaced", "two words")));
        Plugins plugins = Plugins.load(dir);
        NamedPlugins<Greeter> greeters = plugins.registry(Greeter.class, "greeter", Greeter::name);
        assertEquals(List.of("hello"), greeters.names());
        assertEquals("com.example.Hello", greeters.get("HELLO").getClass().getName());
        assertTrue(
                plugins.problems().stream()
                        .anyMatch(problem -> problem.className().equals("com.example.Spaced")
                                && problem.message().startsWith("its name 'two words' is not a valid plugin name")),
                plugins.problems().toString());
        assertEquals(
                "Unknown greeter 'bye'. Available: [hello]. Add the jar that provides it to the class path.",
                assertThrows(PeftException.class, () -> greeters.get("bye")).getMessage());
    }

    private static String greeterSource(String className, String name) {
        int dot = className.lastIndexOf('.');
        return "package " + className.substring(0, dot) + ";\n"
                + "public final class " + className.substring(dot + 1) + " implements " + Greeter.class.getName()
                + " {\n"
                + "  public String name() { return \"" + name + "\"; }\n"
                + "}\n";
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
