package dev.peft4j.spi;

import java.net.URL;
import java.security.CodeSource;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The plugins of one service, by name: loads every provider, refuses duplicate names, and keeps
 * the failures of the ones that did not load.
 *
 * @param <T> the service type
 */
final class NamedPlugins<T> {

    private static final int MAX_LOAD_ERRORS = 1000;

    private final String service;
    private final String noun;
    private final Map<String, T> byName;

    private NamedPlugins(String service, String noun, Map<String, T> byName) {
        this.service = service;
        this.noun = noun;
        this.byName = byName;
    }

    /**
     * Loads every provider of a service visible to a class loader.
     *
     * @param type the service interface
     * @param noun how error messages call one plugin, for example {@code adapter}
     * @param nameOf reads a plugin's name
     * @param loader the class loader to search
     * @param problems receives the providers that failed to load
     * @return the plugins by name
     * @throws PeftException when two plugins share a name
     */
    static <T> NamedPlugins<T> load(
            Class<T> type,
            String noun,
            Function<T, String> nameOf,
            ClassLoader loader,
            List<PluginProblem> problems) {
        String service = type.getSimpleName();
        Map<String, T> byName = new TreeMap<>();
        Iterator<ServiceLoader.Provider<T>> providers = ServiceLoader.load(type, loader).stream().iterator();
        int errors = 0;
        while (errors < MAX_LOAD_ERRORS) {
            ServiceLoader.Provider<T> provider;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                provider = providers.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                errors++;
                problems.add(new PluginProblem(service, "?", "?", describe(e)));
                continue;
            }
            Class<?> cls = provider.type();
            T plugin;
            String name;
            try {
                plugin = provider.get();
                name = nameOf.apply(plugin);
                if (name == null || name.isBlank()) {
                    throw new PeftException("its name() is blank");
                }
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                errors++;
                problems.add(new PluginProblem(service, cls.getName(), sourceOf(cls), describe(e)));
                continue;
            }
            String key = name.toLowerCase(Locale.ROOT);
            T previous = byName.putIfAbsent(key, plugin);
            if (previous != null) {
                throw new PeftException(
                        "Two "
                                + noun
                                + " plugins are named '"
                                + key
                                + "': "
                                + previous.getClass().getName()
                                + " from "
                                + sourceOf(previous.getClass())
                                + " and "
                                + cls.getName()
                                + " from "
                                + sourceOf(cls)
                                + ". Remove one of the jars from the class path.");
            }
        }
        return new NamedPlugins<>(service, noun, byName);
    }

    /**
     * Looks a plugin up by name, case-insensitively.
     *
     * @param name the name
     * @return the plugin
     * @throws PeftException naming the available plugins when there is none of that name
     */
    T get(String name) {
        T plugin = name == null ? null : byName.get(name.toLowerCase(Locale.ROOT));
        if (plugin == null) {
            throw new PeftException(
                    "Unknown "
                            + noun
                            + " '"
                            + name
                            + "'. Available: "
                            + byName.keySet()
                            + ". Add the jar that provides it to the class path.");
        }
        return plugin;
    }

    /**
     * Every plugin, ordered by name.
     *
     * @return the plugins
     */
    List<T> all() {
        return List.copyOf(byName.values());
    }

    /**
     * The names, ordered.
     *
     * @return the names
     */
    List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * Where a class was loaded from: its jar or directory.
     *
     * @param cls the class
     * @return the location, or {@code "?"}
     */
    static String sourceOf(Class<?> cls) {
        CodeSource source = cls.getProtectionDomain().getCodeSource();
        URL location = source == null ? null : source.getLocation();
        return location == null ? "?" : location.getPath();
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            message.append(": ").append(root.getClass().getSimpleName()).append(' ').append(root.getMessage());
        }
        return message.toString();
    }

    @Override
    public String toString() {
        return service + byName.keySet();
    }
}
