package dev.peft4j.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;

/**
 * Checks a jar dropped into a plugin directory before it goes on a class loader: it must open as a
 * jar, and should declare at least one peft4j plugin, so that a user hears why nothing loaded
 * rather than nothing.
 *
 * @param loadable whether the file opened as a jar and goes on the class loader (a jar without
 *     plugins may be a library a plugin needs)
 * @param problem what is wrong, or {@code null}
 */
record PluginJarCheck(boolean loadable, String problem) {

    private static final String PEFT4J_SERVICES = "META-INF/services/dev.peft4j.";

    /**
     * Checks one file.
     *
     * @param jar the file
     * @return the verdict
     */
    static PluginJarCheck of(Path jar) {
        if (!Files.isRegularFile(jar)) {
            return new PluginJarCheck(false, "is not a regular file; it is left out");
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.stream().anyMatch(entry -> entry.getName().startsWith(PEFT4J_SERVICES))) {
                return new PluginJarCheck(true, null);
            }
            return new PluginJarCheck(
                    true,
                    "provides no plugin: it has no META-INF/services file for a peft4j "
                            + "interface (dev.peft4j.spi.AdapterFactory, EngineBinding, a method's own). With @AutoService the "
                            + "annotation processor must run: list com.google.auto.service:auto-service in "
                            + "maven-compiler-plugin's annotationProcessorPaths");
        } catch (IOException | SecurityException e) {
            return new PluginJarCheck(
                    false,
                    "cannot be opened as a jar (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                            + "); it is left out");
        }
    }
}
