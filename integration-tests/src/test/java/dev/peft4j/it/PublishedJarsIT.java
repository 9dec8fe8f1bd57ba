package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What Maven Central and module-path users need from every published module, read from the jars the
 * build just made: an {@code Automatic-Module-Name} that is the root of the jar's packages, no package
 * in two modules, LICENSE and NOTICE in the jar, its sources jar and its Javadoc jar. A module is
 * published when it has main Java sources and is not under {@code examples/}.
 */
class PublishedJarsIT {

    /** The system property naming the repository root; the build sets it. */
    private static final String ROOT_PROPERTY = "peft4j.it.root";

    private static final List<String> LICENSE_FILES = List.of("LICENSE", "NOTICE");
    private static final Pattern ARTIFACT_ID = Pattern.compile("<artifactId>([^<]+)</artifactId>");

    static List<Path> publishedModules() throws IOException {
        Path root = root();
        try (Stream<Path> poms = Files.walk(root, 3)) {
            return poms.filter(p -> p.getFileName().toString().equals("pom.xml"))
                    .map(Path::getParent)
                    .filter(dir -> Files.isDirectory(dir.resolve("src/main/java")))
                    .filter(dir -> !root.relativize(dir).startsWith("examples"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** The BOM users import and the build's modules cannot drift apart. */
    @Test
    void theBomListsExactlyThePublishedModules() throws IOException {
        String bom = Files.readString(root().resolve("peft4j-bom/pom.xml"));
        Set<String> listed = new TreeSet<>();
        Matcher artifact = ARTIFACT_ID.matcher(
                bom.substring(bom.indexOf("<dependencyManagement>"), bom.indexOf("</dependencyManagement>")));
        while (artifact.find()) {
            listed.add(artifact.group(1));
        }
        Set<String> published = new TreeSet<>();
        for (Path module : publishedModules()) {
            String pom = Files.readString(module.resolve("pom.xml"));
            Matcher own = ARTIFACT_ID.matcher(pom.substring(pom.indexOf("</parent>")));
            assertTrue(own.find(), module + "/pom.xml names no artifactId");
            published.add(own.group(1));
        }
        assertEquals(published, listed, "peft4j-bom/pom.xml must list every published module and nothing else");
    }

    @Test
    void theLibraryModulesAreAmongThePublished() throws IOException {
        List<String> names = publishedModules().stream()
                .map(dir -> dir.getFileName().toString())
                .toList();
        assertTrue(
                names.containsAll(List.of("peft-spi", "peft-core", "peft-cli", "mora-adapter", "engine-pytorch")),
                "published modules found: " + names);
    }

    @Test
    void noPackageIsInTwoModules() throws IOException {
        Map<String, String> moduleOfPackage = new HashMap<>();
        for (Path dir : publishedModules()) {
            ModuleDescriptor module = descriptor(mainJar(dir));
            for (String pkg : module.packages()) {
                String other = moduleOfPackage.put(pkg, module.name());
                assertEquals(null, other, "package " + pkg + " is in both " + other + " and " + module.name());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("publishedModules")
    void theJarNamesItsModuleAfterItsRootPackage(Path dir) throws IOException {
        Path jar = mainJar(dir);
        String declared;
        try (JarFile file = new JarFile(jar.toFile())) {
            declared = file.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
        }
        assertNotNull(declared, jar + " has no Automatic-Module-Name");
        ModuleDescriptor module = descriptor(jar);
        assertEquals(declared, module.name());
        assertFalse(module.packages().isEmpty(), jar + " has no packages");
        for (String pkg : module.packages()) {
            assertTrue(
                    pkg.equals(declared) || pkg.startsWith(declared + "."),
                    jar + ": package " + pkg + " is outside its module name " + declared);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("publishedModules")
    void theJarItsSourcesAndItsJavadocCarryTheLicense(Path dir) throws IOException {
        Path jar = mainJar(dir);
        String base = jar.getFileName().toString().replaceFirst("\\.jar$", "");
        Path sources = jar.resolveSibling(base + "-sources.jar");
        Path javadoc = jar.resolveSibling(base + "-javadoc.jar");
        assertLicensed(jar);
        assertLicensed(sources);
        assertLicensed(javadoc);
        try (JarFile file = new JarFile(sources.toFile())) {
            assertTrue(file.stream().anyMatch(e -> e.getName().endsWith(".java")), sources + " has no Java sources");
        }
        try (JarFile file = new JarFile(javadoc.toFile())) {
            assertNotNull(file.getEntry("index.html"), javadoc + " has no index.html");
        }
    }

    private static void assertLicensed(Path jar) throws IOException {
        assertTrue(Files.isRegularFile(jar), jar + " was not built");
        try (JarFile file = new JarFile(jar.toFile())) {
            for (String name : LICENSE_FILES) {
                ZipEntry entry = file.getEntry("META-INF/" + name);
                assertNotNull(entry, jar + " lacks META-INF/" + name);
                try (var in = file.getInputStream(entry)) {
                    assertArrayEquals(
                            Files.readAllBytes(root().resolve(name)),
                            in.readAllBytes(),
                            jar + ": META-INF/" + name + " differs from the repository's");
                }
            }
        }
    }

    /** The module's one main jar in its target directory: not its sources, Javadoc or test jar. */
    private static Path mainJar(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("target"))) {
            List<Path> jars = files.filter(
                            p -> p.getFileName().toString().matches(".*(?<!-sources|-javadoc|-tests)\\.jar"))
                    .toList();
            assertEquals(1, jars.size(), dir + "/target should hold one main jar: " + jars);
            return jars.get(0);
        }
    }

    private static ModuleDescriptor descriptor(Path jar) {
        return ModuleFinder.of(jar).findAll().iterator().next().descriptor();
    }

    static Path root() {
        String value = System.getProperty(ROOT_PROPERTY);
        if (value == null || !Files.isRegularFile(Path.of(value, "pom.xml"))) {
            throw new IllegalStateException("System property " + ROOT_PROPERTY
                    + " must name the repository root (the build sets it), got " + value);
        }
        return Path.of(value).toAbsolutePath().normalize();
    }
}
