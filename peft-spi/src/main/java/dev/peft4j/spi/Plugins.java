package dev.peft4j.spi;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin registry: every {@link AdapterFactory}, {@link CompressionOperator} and {@link
 * EngineBinding} visible to one class loader, by name.
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
    private final NamedPlugins<CompressionOperator> operators;
    private final NamedPlugins<EngineBinding> engines;
    private final List<PluginProblem> problems;

    private Plugins(ClassLoader loader, List<PluginProblem> jarProblems) {
        List<PluginProblem> found = new ArrayList<>(jarProblems);
        adapters = NamedPlugins.load(AdapterFactory.class, "adapter", AdapterFactory::name, loader, found);
        operators =
                NamedPlugins.load(
                        CompressionOperator.class, "operator", CompressionOperator::name, loader, found);
        engines = NamedPlugins.load(EngineBinding.class, "engine", EngineBinding::name, loader, found);
        problems = List.copyOf(found);
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
            for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
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
     * A MoRA compression operator.
     *
     * @param name the operator's name
     * @return the operator
     * @throws PeftException listing the available operators when none has that name
     */
    public CompressionOperator operator(String name) {
        return operators.get(name);
    }

    /**
     * The MoRA compression operator that computes an official kongds/MoRA {@code mora_type}.
     *
     * @param type the official type number, for example 1 (sharing) or 6 (rotation)
     * @return the operator whose {@link CompressionOperator#moraType()} is {@code type}
     * @throws PeftException listing the types on offer when no operator computes {@code type}, or
     *     naming both operators when two claim it
     */
    public CompressionOperator operatorByMoraType(int type) {
        List<CompressionOperator> matching = operators.all().stream()
                .filter(operator -> operator.moraType().equals(OptionalInt.of(type)))
                .toList();
        if (matching.isEmpty()) {
            Map<Integer, String> available = new TreeMap<>();
            for (CompressionOperator operator : operators.all()) {
                operator.moraType().ifPresent(t -> available.merge(t, operator.name(), (a, b) -> a + ", " + b));
            }
            throw new PeftException(
                    "No MoRA operator computes mora_type "
                            + type
                            + ". Available types (operator): "
                            + available
                            + ". "
                            + FirstPartyPlugins.howToAddMoraType(type));
        }
        if (matching.size() > 1) {
            CompressionOperator first = matching.get(0);
            CompressionOperator second = matching.get(1);
            throw new PeftException(
                    "Two MoRA operators claim mora_type "
                            + type
                            + ": '"
                            + first.name()
                            + "' ("
                            + first.getClass().getName()
                            + " from "
                            + NamedPlugins.sourceOf(first.getClass())
                            + ") and '"
                            + second.name()
                            + "' ("
                            + second.getClass().getName()
                            + " from "
                            + NamedPlugins.sourceOf(second.getClass())
                            + "). Remove one of the jars from the class path.");
        }
        return matching.get(0);
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
     * Every compression operator, ordered by name.
     *
     * @return the operators
     */
    public List<CompressionOperator> operators() {
        return operators.all();
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
     * The providers that failed to load.
     *
     * @return the problems, possibly empty
     */
    public List<PluginProblem> problems() {
        return problems;
    }

    @Override
    public String toString() {
        return "Plugins[" + adapters + ", " + operators + ", " + engines + "]";
    }

    private static final class DefaultHolder {
        private static final Plugins INSTANCE = load(Plugins.class.getClassLoader());
    }
}
