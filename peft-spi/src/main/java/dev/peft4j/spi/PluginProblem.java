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

    private static final String UNKNOWN = "?";

    /**
     * A problem of a whole plugin jar rather than of one provider.
     *
     * @param jar the jar's path
     * @param message what is wrong with it
     * @return the problem, with service {@code plugin jar} and class {@code ?}
     */
    static PluginProblem ofJar(String jar, String message) {
        return new PluginProblem("plugin jar", UNKNOWN, jar, message);
    }

    @Override
    public String toString() {
        return UNKNOWN.equals(className)
                ? service + " " + source + ": " + message
                : service + " provider " + className + " from " + source + " failed to load: " + message;
    }
}
