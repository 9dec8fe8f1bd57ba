package dev.peft4j.spi;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.security.CodeSource;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The plugins of one service, by name: loads every provider the class loader's services files
 * declare, refuses duplicate names, and keeps the failures of the ones that did not load, each
 * with its class and jar. {@link Plugins} holds one per kind; a method defines kinds of its own
 * through {@link Plugins#registry}. Names are case-insensitive and must be 1 to 64 of {@code
 * a-z 0-9 . _ -}, starting with a letter or digit (they are written into files).
 *
 * <p>A provider must be a public class with a public no-argument constructor that implements every
 * abstract method of the service. One compiled against another version of {@code peft-spi} fails
 * that check, or fails to link; either way it is reported when the registry loads, not with an
 * {@link AbstractMethodError} or {@link NoClassDefFoundError} at its first use.
 *
 * @param <T> the service type
 */
public final class NamedPlugins<T> {

    /** What a plugin name may be: it is written into adapter files and typed on command lines. */
    private static final Pattern VALID_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

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
     * @throws PeftException when two plugins share a name, or two jars declare one provider class
     */
    static <T> NamedPlugins<T> load(
            Class<T> type, String noun, Function<T, String> nameOf, ClassLoader loader, List<PluginProblem> problems) {
        String service = type.getSimpleName();
        Map<String, T> byName = new TreeMap<>();
        for (ProviderFiles.Declaration declaration : ProviderFiles.read(type, noun, loader, problems)) {
            T plugin;
            String name;
            try {
                plugin = instantiate(type, declaration.className(), loader);
                name = nameOf.apply(plugin);
                if (name == null
                        || !VALID_NAME.matcher(name.toLowerCase(Locale.ROOT)).matches()) {
                    throw new PeftException(
                            "its name " + (name == null ? "is null" : "'" + name + "' is not a valid plugin " + "name")
                                    + ": use 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit");
                }
            } catch (RuntimeException | LinkageError e) {
                problems.add(new PluginProblem(service, declaration.className(), declaration.source(), describe(e)));
                continue;
            }
            String key = name.toLowerCase(Locale.ROOT);
            T previous = byName.putIfAbsent(key, plugin);
            if (previous != null) {
                throw new PeftException("Two "
                        + noun
                        + " plugins are named '"
                        + key
                        + "': "
                        + previous.getClass().getName()
                        + " from "
                        + sourceOf(previous.getClass())
                        + " and "
                        + declaration.className()
                        + " from "
                        + declaration.source()
                        + ". Remove one of the jars from the class path.");
            }
        }
        return new NamedPlugins<>(service, noun, byName);
    }

    private static <T> T instantiate(Class<T> type, String className, ClassLoader loader) {
        Class<?> cls;
        try {
            cls = Class.forName(className, false, loader);
        } catch (ClassNotFoundException e) {
            throw new PeftException("the class is not in the jar that declares it");
        }
        if (!type.isAssignableFrom(cls)) {
            throw new PeftException("it does not implement " + type.getName());
        }
        requireImplemented(type, cls);
        try {
            return type.cast(cls.getConstructor().newInstance());
        } catch (NoSuchMethodException e) {
            throw new PeftException("it has no public no-argument constructor");
        } catch (IllegalAccessException e) {
            throw new PeftException("it is not a public class");
        } catch (InstantiationException e) {
            throw new PeftException("it is abstract");
        } catch (InvocationTargetException e) {
            throw new PeftException("its constructor threw", e.getCause());
        }
    }

    /** Fails when a provider lacks an abstract method of its service: it was compiled against another SPI. */
    private static void requireImplemented(Class<?> type, Class<?> cls) {
        for (Method method : type.getMethods()) {
            if (!Modifier.isAbstract(method.getModifiers())) {
                continue;
            }
            Method found;
            try {
                found = cls.getMethod(method.getName(), method.getParameterTypes());
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("getMethod cannot miss a method of an implemented interface", e);
            }
            if (Modifier.isAbstract(found.getModifiers())) {
                throw new PeftException("it does not implement " + signature(method)
                        + ": it was compiled against another version of peft-spi; rebuild it against this one");
            }
        }
    }

    private static String signature(Method method) {
        return method.getReturnType().getSimpleName() + " "
                + method.getDeclaringClass().getSimpleName() + "."
                + method.getName()
                + Arrays.stream(method.getParameterTypes())
                        .map(Class::getSimpleName)
                        .collect(Collectors.joining(", ", "(", ")"));
    }

    /**
     * Looks a plugin up by name, case-insensitively.
     *
     * @param name the name
     * @return the plugin
     * @throws PeftException naming the available plugins, and the artifact to add when peft4j
     *     publishes the plugin, when there is none of that name
     */
    public T get(String name) {
        String key = name == null ? null : name.toLowerCase(Locale.ROOT);
        T plugin = key == null ? null : byName.get(key);
        if (plugin == null) {
            String suggestion = name == null ? "" : ClosestName.hint(name, byName.keySet());
            throw new PeftException("Unknown " + noun + " '" + name + "'. Available: " + byName.keySet() + "."
                    + (suggestion.isEmpty() ? " " + FirstPartyPlugins.howToAdd(noun, key) : suggestion));
        }
        return plugin;
    }

    /**
     * Every plugin, ordered by name.
     *
     * @return the plugins
     */
    public List<T> all() {
        return List.copyOf(byName.values());
    }

    /**
     * The names, ordered.
     *
     * @return the names
     */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * Where a class was loaded from: its jar or directory.
     *
     * @param cls the class
     * @return the location, or {@code "?"}
     */
    public static String sourceOf(Class<?> cls) {
        CodeSource source = cls.getProtectionDomain().getCodeSource();
        URL location = source == null ? null : source.getLocation();
        return location == null ? "?" : location.getPath();
    }

    /**
     * A load failure in one line: its message with its causes; for a linkage error (a class or
     * member missing at run time) also the likely reason.
     */
    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(
                e instanceof PeftException ? e.getMessage() : e.getClass().getSimpleName() + " " + e.getMessage());
        boolean linkage = e instanceof LinkageError;
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append(": ")
                    .append(cause.getClass().getSimpleName())
                    .append(' ')
                    .append(cause.getMessage());
            linkage |= cause instanceof LinkageError;
        }
        if (linkage) {
            message.append(" (it was compiled against another version of peft-spi, or needs a jar that is missing)");
        }
        return message.toString();
    }

    @Override
    public String toString() {
        return service + byName.keySet();
    }
}
