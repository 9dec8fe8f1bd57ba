package dev.peft4j.spi;

/**
 * A plugin that failed to load; the registry reports it and goes on with the others.
 *
 * @param service the service interface, for example {@code AdapterFactory}
 * @param className the provider's class, or {@code "?"} when the class itself could not be read
 * @param source the jar or directory the class came from, or {@code "?"}
 * @param message what went wrong
 */
public record PluginProblem(String service, String className, String source, String message) {

    @Override
    public String toString() {
        return service + " provider " + className + " from " + source + " failed to load: " + message;
    }
}
