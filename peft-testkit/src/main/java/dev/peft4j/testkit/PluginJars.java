package dev.peft4j.testkit;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds small plugin jars at test time, from Java sources compiled against the test class path,
 * so that registry tests load plugins that are not on the class path.
 */
public final class PluginJars {

    private PluginJars() {}

    /**
     * Compiles sources and packs them with a service registration into a jar.
     *
     * @param jar the jar to write
     * @param service the service interface's binary name, for example {@code dev.peft4j.spi.AdapterFactory}
     * @param sources class binary name → Java source; each class is registered as a provider
     * @return the jar
     */
    public static Path build(Path jar, String service, Map<String, String> sources) {
        return build(jar, service, sources, Map.of());
    }

    /**
     * Compiles sources against stubs that shadow classes of the test class path, and packs the
     * sources' classes (not the stubs') with a service registration into a jar: a plugin compiled
     * against another version of the SPI, for example one whose interface has another method or a
     * type this SPI lacks.
     *
     * @param jar the jar to write
     * @param service the service interface's binary name
     * @param sources class binary name → Java source; each class is registered as a provider
     * @param stubs class binary name → Java source, compiled first and left out of the jar
     * @return the jar
     */
    public static Path build(Path jar, String service, Map<String, String> sources, Map<String, String> stubs) {
        try {
            Path work = Files.createTempDirectory("plugin-src");
            String classPath = System.getProperty("java.class.path");
            if (!stubs.isEmpty()) {
                Path stubClasses = compile(work.resolve("stubs"), stubs, classPath);
                classPath = stubClasses + File.pathSeparator + classPath;
            }
            Path classes = compile(work.resolve("plugin"), sources, classPath);
            writeJar(jar, classes, service, List.copyOf(sources.keySet()));
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path compile(Path work, Map<String, String> sources, String classPath) throws IOException {
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("-classpath", classPath, "-d", classes.toString()));
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = work.resolve("src").resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            args.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac.run(null, null, System.err, args.toArray(String[]::new)) != 0) {
            throw new IllegalStateException("Compiling the test plugin failed; see the output above");
        }
        return classes;
    }

    private static void writeJar(Path jar, Path classes, String service, List<String> providers) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file);
                Stream<Path> walk = Files.walk(classes)) {
            for (Path path : walk.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(
                        new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(path));
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + service));
            out.write((String.join("\n", providers) + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    /**
     * The source of an adapter factory with a given name whose {@code create} is never called by
     * registry tests.
     *
     * @param className the class's binary name
     * @param adapterName the name it registers under
     * @return the Java source
     */
    public static String adapterFactorySource(String className, String adapterName) {
        return factorySource(className, adapterName, "");
    }

    /**
     * The source of an adapter factory whose constructor throws.
     *
     * @param className the class's binary name
     * @return the Java source
     */
    public static String throwingAdapterFactorySource(String className) {
        return factorySource(
                className, "broken", "throw new IllegalStateException(\"constructor failed on purpose\");");
    }

    /**
     * The source of a MoRA compression operator with a given name and official type whose {@code
     * bind} is never called by registry tests.
     *
     * @param className the class's binary name
     * @param operatorName the name it registers under
     * @param moraType the official {@code mora_type} it claims, or a negative number for none
     * @return the Java source
     */
    public static String operatorSource(String className, String operatorName, int moraType) {
        int dot = className.lastIndexOf('.');
        String type = moraType < 0 ? "java.util.OptionalInt.empty()" : "java.util.OptionalInt.of(" + moraType + ")";
        return "package " + className.substring(0, dot) + ";\n"
                + "public final class " + className.substring(dot + 1)
                + " implements dev.peft4j.mora.spi.CompressionOperator {\n"
                + "  public String name() { return \"" + operatorName + "\"; }\n"
                + "  public java.util.OptionalInt moraType() { return " + type + "; }\n"
                + "  public dev.peft4j.mora.spi.Compression bind(dev.peft4j.mora.spi.CompressionShape s, ai.djl.ndarray.NDManager m) {"
                + " throw new dev.peft4j.spi.PeftException(\"test plugin\"); }\n"
                + "}\n";
    }

    /**
     * Stubs of an older {@code peft-spi}, for {@link #build(Path, String, Map, Map)}: its {@code
     * AdapterFactory.create} took no registry.
     *
     * @return class binary name → stub source
     */
    public static Map<String, String> olderSpiStubs() {
        return Map.of(
                "dev.peft4j.spi.AdapterFactory",
                "package dev.peft4j.spi;\n"
                        + "public interface AdapterFactory {\n"
                        + "  String name();\n"
                        + "  Adapter create(AdapterConfig config, AdapterTarget target);\n"
                        + "}\n");
    }

    /**
     * The source of an adapter factory written for {@link #olderSpiStubs()}: it implements the old
     * {@code create} and lacks this SPI's.
     *
     * @param className the class's binary name
     * @param adapterName the name it registers under
     * @return the Java source
     */
    public static String olderSpiAdapterFactorySource(String className, String adapterName) {
        int dot = className.lastIndexOf('.');
        return "package " + className.substring(0, dot) + ";\n"
                + "public final class " + className.substring(dot + 1) + " implements dev.peft4j.spi.AdapterFactory {\n"
                + "  public String name() { return \"" + adapterName + "\"; }\n"
                + "  public dev.peft4j.spi.Adapter create(dev.peft4j.spi.AdapterConfig c, dev.peft4j.spi.AdapterTarget t) {"
                + " throw new dev.peft4j.spi.PeftException(\"test plugin\"); }\n"
                + "}\n";
    }

    /**
     * Stubs of a newer {@code peft-spi}, for {@link #build(Path, String, Map, Map)}: an interface
     * {@code dev.peft4j.spi.AdapterHints} that this SPI lacks.
     *
     * @return class binary name → stub source
     */
    public static Map<String, String> newerSpiStubs() {
        return Map.of("dev.peft4j.spi.AdapterHints", "package dev.peft4j.spi;\npublic interface AdapterHints {}\n");
    }

    /**
     * The source of an adapter factory written for {@link #newerSpiStubs()}: it also implements
     * {@code AdapterHints}, so loading its class fails where that type is missing.
     *
     * @param className the class's binary name
     * @param adapterName the name it registers under
     * @return the Java source
     */
    public static String newerSpiAdapterFactorySource(String className, String adapterName) {
        return factorySource(className, adapterName, "")
                .replace(
                        "implements dev.peft4j.spi.AdapterFactory",
                        "implements dev.peft4j.spi.AdapterFactory, dev.peft4j.spi.AdapterHints");
    }

    private static String factorySource(String className, String adapterName, String constructorBody) {
        int dot = className.lastIndexOf('.');
        return "package " + className.substring(0, dot) + ";\n"
                + "public final class " + className.substring(dot + 1) + " implements dev.peft4j.spi.AdapterFactory {\n"
                + "  public " + className.substring(dot + 1) + "() { " + constructorBody + " }\n"
                + "  public String name() { return \"" + adapterName + "\"; }\n"
                + "  public dev.peft4j.spi.Adapter create(dev.peft4j.spi.AdapterConfig c, dev.peft4j.spi.AdapterTarget t,"
                + " dev.peft4j.spi.Plugins p) { throw new dev.peft4j.spi.PeftException(\"test plugin\"); }\n"
                + "}\n";
    }
}
