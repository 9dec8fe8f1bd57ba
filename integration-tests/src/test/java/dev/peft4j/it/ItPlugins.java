package dev.peft4j.it;

import dev.peft4j.spi.Plugins;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The registry the integration tests run on: the class path plus every jar of the plugin directory
 * the build fills (the third-party example plugin, which is never on the tests' class path).
 */
final class ItPlugins {

    /** The system property naming the plugin directory; the build sets it. */
    static final String DIRECTORY_PROPERTY = "peft4j.it.plugins";

    private ItPlugins() {}

    /**
     * The plugin directory.
     *
     * @return the directory the build copied the third-party plugin jar into
     * @throws IllegalStateException when the property is unset or names no directory
     */
    static Path directory() {
        String value = System.getProperty(DIRECTORY_PROPERTY);
        if (value == null || !Files.isDirectory(Path.of(value))) {
            throw new IllegalStateException("System property " + DIRECTORY_PROPERTY + " must name the plugin directory "
                    + "(the build sets it to integration-tests/target/plugins), got " + value);
        }
        return Path.of(value);
    }

    /**
     * The registry of the class path and the plugin directory, loaded once.
     *
     * @return the registry
     */
    static Plugins registry() {
        return Holder.REGISTRY;
    }

    private static final class Holder {
        private static final Plugins REGISTRY = Plugins.load(directory());
    }
}
