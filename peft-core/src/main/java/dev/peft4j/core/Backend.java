package dev.peft4j.core;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.peft4j.spi.EngineAvailability;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The engine and device peft4j computes on, chosen at run time.
 *
 * <p>Engine: {@code auto} (the default) takes the first usable engine by preference, PyTorch
 * before MXNet; {@code pytorch} or {@code mxnet} name one. Device: {@code auto} (the default)
 * takes the engine's first GPU when it sees one, else the CPU; {@code cpu}, {@code gpu} or {@code
 * gpu:N} name one. When the caller passes no choice ({@code null}, blank or {@code auto}), the
 * system properties {@code peft4j.engine} and {@code peft4j.device}, then the environment
 * variables {@code PEFT4J_ENGINE} and {@code PEFT4J_DEVICE}, are read. Selecting changes no global
 * setting: DJL's own properties (such as {@code ai.djl.offline}) stay the application's.
 *
 * @param engine the engine binding
 * @param device the device
 */
public record Backend(EngineBinding engine, Device device) {

    /** The word that lets peft4j choose. */
    public static final String AUTO = "auto";

    private static final Pattern GPU = Pattern.compile("gpu(?::(\\d+))?");

    /**
     * Validates the fields.
     *
     * @param engine the engine binding
     * @param device the device
     */
    public Backend {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(device, "device");
    }

    /**
     * Chooses from explicit words, falling back to system properties, environment and {@code auto}.
     *
     * @param engineName an engine's name, or {@code null}, blank or {@code auto} to use the defaults
     * @param deviceName {@code cpu}, {@code gpu[:N]}, or {@code null}, blank or {@code auto} for the
     *     defaults
     * @param plugins where engines are looked up
     * @return the backend
     * @throws PeftException when the engine is unknown or unusable, or the device absent; also when
     *     a word read from a system property or environment variable is not a valid choice, naming
     *     the property or variable
     * @throws IllegalArgumentException when the device argument is not a device name
     */
    public static Backend select(String engineName, String deviceName, Plugins plugins) {
        return select(engineName, deviceName, plugins, System.getenv());
    }

    static Backend select(String engineName, String deviceName, Plugins plugins, Map<String, String> environment) {
        Choice engineChoice = Choice.of(engineName, "peft4j.engine", "PEFT4J_ENGINE", environment);
        Choice deviceChoice = Choice.of(deviceName, "peft4j.device", "PEFT4J_DEVICE", environment);
        EngineBinding engine = engineChoice.apply(name -> selectEngine(name, plugins));
        return new Backend(engine, deviceChoice.apply(name -> selectDevice(name, engine)));
    }

    /** A word and where it came from: the caller, a system property, an environment variable or the default. */
    private record Choice(String word, String origin) {

        static Choice of(String explicit, String property, String variable, Map<String, String> environment) {
            if (chosen(explicit)) {
                return new Choice(normalised(explicit), null);
            }
            if (chosen(System.getProperty(property))) {
                return new Choice(normalised(System.getProperty(property)), "the system property " + property);
            }
            if (chosen(environment.get(variable))) {
                return new Choice(normalised(environment.get(variable)), "the environment variable " + variable);
            }
            return new Choice(AUTO, null);
        }

        private static boolean chosen(String word) {
            return word != null && !word.isBlank() && !AUTO.equals(normalised(word));
        }

        private static String normalised(String word) {
            return word.trim().toLowerCase(Locale.ROOT);
        }

        /** Runs a selection; a word from a property or variable that fails is bad configuration, named as such. */
        <T> T apply(Function<String, T> select) {
            try {
                return select.apply(word);
            } catch (PeftException | IllegalArgumentException e) {
                if (origin == null) {
                    throw e;
                }
                throw new PeftException(
                        e.getMessage() + " ('" + word + "' comes from " + origin + ": correct or unset it)", e);
            }
        }
    }

    private static EngineBinding selectEngine(String name, Plugins plugins) {
        if (!AUTO.equals(name)) {
            EngineBinding engine = plugins.engine(name);
            engine.engine();
            return engine;
        }
        List<EngineBinding> engines = plugins.engines().stream()
                .sorted(Comparator.comparingInt(EngineBinding::preference))
                .toList();
        StringBuilder reasons = new StringBuilder();
        for (EngineBinding engine : engines) {
            EngineAvailability availability = engine.availability();
            if (availability.usable()) {
                return engine;
            }
            reasons.append("\n  ").append(engine.name()).append(": ").append(availability.reason());
        }
        throw new PeftException(
                engines.isEmpty()
                        ? "No engine is on the class path: add dev.peft4j:engine-pytorch or dev.peft4j:engine-mxnet"
                        : "No usable engine:" + reasons);
    }

    private static Device selectDevice(String name, EngineBinding engine) {
        List<Device> devices = engine.devices();
        int gpus = devices.size() - 1;
        if (AUTO.equals(name)) {
            return devices.get(0);
        }
        if ("cpu".equals(name)) {
            return Device.cpu();
        }
        Matcher gpu = GPU.matcher(name);
        if (!gpu.matches()) {
            throw new IllegalArgumentException("Unknown device '" + name + "'. Expected auto, cpu, gpu or gpu:N");
        }
        int index = gpu.group(1) == null ? 0 : Integer.parseInt(gpu.group(1));
        if (index >= gpus) {
            throw new PeftException(
                    "Device '" + name + "' is not available: engine " + engine.name() + " sees " + gpus + " GPU(s)");
        }
        return Device.gpu(index);
    }

    /**
     * A new root manager on this engine and device; the caller closes it.
     *
     * @return the manager
     */
    public NDManager newManager() {
        return NDManager.newBaseManager(device, engine.djlEngineName());
    }

    /**
     * A new DJL model on this engine and device; the caller closes it.
     *
     * @param name the model's name
     * @return the model
     */
    public Model newModel(String name) {
        return Model.newInstance(name, device, engine.djlEngineName());
    }

    @Override
    public String toString() {
        return engine.name() + " on " + device;
    }
}
