package dev.peft4j.spi;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The shared logic of engine bindings backed by a DJL engine whose native libraries come from
 * Maven Central jars: check that each native jar is on the class path, then load the engine with
 * downloads switched off ({@code ai.djl.offline=true}).
 */
public abstract class DjlEngineBinding implements EngineBinding {

    /** The system property that forbids DJL from downloading native libraries. */
    public static final String OFFLINE_PROPERTY = "ai.djl.offline";

    /**
     * A jar the engine needs, recognised by a resource it contains.
     *
     * @param resource a resource path inside the jar
     * @param artifact the Maven coordinates to add when it is missing
     */
    public record NativeJar(String resource, String artifact) {}

    private final String name;
    private final String djlEngineName;
    private final int preference;
    private final List<NativeJar> nativeJars;
    private final ClassLoader resources;

    /**
     * Creates a binding.
     *
     * @param name the binding's name
     * @param djlEngineName the DJL engine's name
     * @param preference the rank in {@code auto} selection, lower first
     * @param nativeJars the jars the engine needs at run time
     * @param resources where to look for those jars
     */
    protected DjlEngineBinding(
            String name,
            String djlEngineName,
            int preference,
            List<NativeJar> nativeJars,
            ClassLoader resources) {
        this.name = name;
        this.djlEngineName = djlEngineName;
        this.preference = preference;
        this.nativeJars = List.copyOf(nativeJars);
        this.resources = Objects.requireNonNull(resources, "resources");
    }

    /**
     * This machine's platform as DJL's native jars name it, for example {@code linux-x86_64}.
     *
     * @return the classifier
     */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osPart = os.startsWith("mac") ? "osx" : os.startsWith("win") ? "win" : "linux";
        String archPart = "amd64".equals(arch) || "x86_64".equals(arch) ? "x86_64" : arch;
        return osPart + "-" + archPart;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String djlEngineName() {
        return djlEngineName;
    }

    @Override
    public final int preference() {
        return preference;
    }

    @Override
    public EngineAvailability availability() {
        for (NativeJar jar : nativeJars) {
            if (resources.getResource(jar.resource()) == null) {
                return EngineAvailability.unavailable(
                        "its native library jar is not on the class path: add "
                                + jar.artifact()
                                + " (this platform is "
                                + platform()
                                + ")");
            }
        }
        if (System.getProperty(OFFLINE_PROPERTY) == null) {
            System.setProperty(OFFLINE_PROPERTY, "true");
        }
        try {
            Engine.getEngine(djlEngineName);
            return EngineAvailability.available();
        } catch (RuntimeException | LinkageError e) {
            return EngineAvailability.unavailable(
                    "DJL could not load " + djlEngineName + " on " + platform() + ": " + e.getMessage());
        }
    }

    @Override
    public List<Device> devices() {
        Engine engine = engine();
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < engine.getGpuCount(); i++) {
            devices.add(Device.gpu(i));
        }
        devices.add(Device.cpu());
        return devices;
    }

    @Override
    public String toString() {
        return name;
    }
}
