package dev.peft4j.spi;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin registry: every {@link AdapterFactory} and {@link EngineBinding} visible to one
 * class loader, by name, and any other kind of plugin a method defines for itself (MoRA's
 * compression operators) through {@link #registry}.
 *
 * <p>Plugins register in {@code META-INF/services/<interface>}, the format of {@link
 * java.util.ServiceLoader} that {@code @AutoService} writes. A registry is an immutable instance;
 * {@link #defaults()} is built lazily once from this class's loader. Two plugins of one kind with
 * one name, or one plugin class declared by two jars, make loading fail, naming both classes and
 * their jars. A provider that cannot load (its class or a type it needs is missing, it lacks a
 * method of the interface because it was built against another peft-spi, or its constructor
 * throws) is logged and kept in {@link #problems()} with its class and jar; the others still load.
 */
public final class Plugins {

    private static final Logger LOG = LoggerFactory.getLogger(Plugins.class);

    private final NamedPlugins<AdapterFactory> adapters;
    private final NamedPlugins<EngineBinding> engines;
    private final ClassLoader loader;
    private final List<PluginProblem> problems;
    private final Map<Class<?>, NamedPlugins<?>> registries = new ConcurrentHashMap<>();

    private Plugins(ClassLoader loader, List<PluginProblem> jarProblems) {
        List<PluginProblem> found = new ArrayList<>(jarProblems);
        adapters = NamedPlugins.load(AdapterFactory.class, "adapter", AdapterFactory::name, loader, found);
        engines = NamedPlugins.load(EngineBinding.class, "engine", EngineBinding::name, loader, found);
        this.loader = loader;
        problems = new CopyOnWriteArrayList<>(found);
        problems.forEach(problem -> LOG.warn("{}", problem));
    }

    /**
     * Loads every plugin visible to a class loader.
     *
     * @param loader the class loader
     * @return the registry
     * @throws PeftException when two plugins of one kind share a name
     */
    public static Plugins load(ClassLoader loader) {
        return new Plugins(loader, List.of());
    }

    /**
     * Loads the plugins on the class path plus every jar in a directory, through a child class
     * loader. A file that does not open as a jar is left out, and it and every jar that declares no
     * plugin are reported in {@link #problems()}.
     *
     * @param directory a directory of plugin jars
     * @return the registry
     * @throws PeftException when the directory cannot be read or two plugins share a name
     */
    public static Plugins load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new PeftException("Plugin directory " + directory + " does not exist or is not a directory");
        }
        List<URL> jars = new ArrayList<>();
        List<PluginProblem> problems = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path jar :
                    files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                PluginJarCheck check = PluginJarCheck.of(jar);
                if (check.problem() != null) {
                    problems.add(PluginProblem.ofJar(jar.toString(), check.problem()));
                }
                if (check.loadable()) {
                    jars.add(jar.toUri().toURL());
                }
            }
        } catch (IOException e) {
            throw new PeftException("Cannot list plugin directory " + directory + ": " + e.getMessage(), e);
        }
        LOG.debug("Loading plugin jars {}", jars);
        URLClassLoader loader = new URLClassLoader(jars.toArray(URL[]::new), Plugins.class.getClassLoader());
        return new Plugins(loader, problems);
    }

    /**
     * The registry of the plugins on the class path, built on first use.
     *
     * @return the registry
     */
    public static Plugins defaults() {
        return DefaultHolder.INSTANCE;
    }

    /**
     * The adapter factory of a method.
     *
     * @param name the method, for example {@code lora}
     * @return the factory
     * @throws PeftException listing the available adapters when none has that name
     */
    public AdapterFactory adapter(String name) {
        return adapters.get(name);
    }

    /**
     * The plugins of any other kind visible to this registry's class loader, loaded on first use
     * and kept: a method's own sub-plugins (MoRA's compression operators) register as services of
     * an interface the method defines, and are found here by name like adapters and engines. A
     * provider that cannot load is logged and added to {@link #problems()}.
     *
     * @param type the service interface
     * @param noun how messages call one plugin, for example {@code operator}
     * @param nameOf reads a plugin's registry name
     * @param <T> the service type
     * @return the registry of that kind
     * @throws PeftException when two plugins of the kind share a name, or two jars hold different
     *     versions of one plugin class
     */
    @SuppressWarnings("unchecked")
    public <T> NamedPlugins<T> registry(Class<T> type, String noun, Function<T, String> nameOf) {
        return (NamedPlugins<T>) registries.computeIfAbsent(type, kind -> {
            List<PluginProblem> found = new ArrayList<>();
            NamedPlugins<T> loaded = NamedPlugins.load(type, noun, nameOf, loader, found);
            found.forEach(problem -> LOG.warn("{}", problem));
            problems.addAll(found);
            return loaded;
        });
    }

    /**
     * An engine binding.
     *
     * @param name the engine, for example {@code pytorch}
     * @return the binding
     * @throws PeftException listing the available engines when none has that name
     */
    public EngineBinding engine(String name) {
        return engines.get(name);
    }

    /**
     * Every adapter factory, ordered by name.
     *
     * @return the factories
     */
    public List<AdapterFactory> adapters() {
        return adapters.all();
    }

    /**
     * Every engine binding, ordered by name.
     *
     * @return the bindings
     */
    public List<EngineBinding> engines() {
        return engines.all();
    }

    /**
     * The providers that failed to load, and the plugin-directory jars that could not be used; a
     * registry of another kind adds its own when it is first asked for.
     *
     * @return the problems, possibly empty
     */
    public List<PluginProblem> problems() {
        return List.copyOf(problems);
    }

    @Override
    public String toString() {
        return "Plugins[" + adapters + ", " + engines + "]";
    }

    private static final class DefaultHolder {
        private static final Plugins INSTANCE = load(Plugins.class.getClassLoader());
    }
}
