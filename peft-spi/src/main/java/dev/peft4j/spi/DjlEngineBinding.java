package dev.peft4j.spi;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The shared logic of engine bindings backed by a DJL engine whose native libraries come from
 * Maven Central jars: check that the class path has the DJL version peft4j is built for and each
 * native jar, then load the engine. DJL extracts the native libraries from those jars, so nothing
 * is downloaded; the binding leaves DJL's global settings ({@code ai.djl.offline} and others) to
 * the application.
 */
public abstract class DjlEngineBinding implements EngineBinding {

    /** The DJL version peft4j is built and tested against; another one on the class path is refused. */
    public static final String DJL_VERSION = "0.35.0";

    /**
     * A jar the engine needs, recognised by a resource it contains.
     *
     * @param resource a resource path inside the jar
     * @param artifact the Maven coordinates to add when it is missing
     * @param overrideVariable an environment variable that, when set, points DJL at a library
     *     installed elsewhere, so the jar is not needed; {@code null} when none can replace it
     */
    public record NativeJar(String resource, String artifact, String overrideVariable) {

        /**
         * A jar nothing can replace.
         *
         * @param resource a resource path inside the jar
         * @param artifact the Maven coordinates to add when it is missing
         */
        public NativeJar(String resource, String artifact) {
            this(resource, artifact, null);
        }
    }

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
            String name, String djlEngineName, int preference, List<NativeJar> nativeJars, ClassLoader resources) {
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
        Optional<String> version = versionProblem(Engine.getDjlVersion());
        if (version.isPresent()) {
            return EngineAvailability.unavailable(version.get());
        }
        for (NativeJar jar : nativeJars) {
            boolean overridden = jar.overrideVariable() != null && System.getenv(jar.overrideVariable()) != null;
            if (!overridden && resources.getResource(jar.resource()) == null) {
                return EngineAvailability.unavailable("its native library jar is not on the class path: add "
                        + jar.artifact()
                        + " (this platform is "
                        + platform()
                        + ")");
            }
        }
        try {
            Engine.getEngine(djlEngineName);
            return EngineAvailability.available();
        } catch (RuntimeException | LinkageError e) {
            return EngineAvailability.unavailable(
                    "DJL could not load " + djlEngineName + " on " + platform() + ": " + e.getMessage());
        }
    }

    /**
     * What is wrong with the DJL version on the class path.
     *
     * @param djlVersion the version found ({@code Engine.getDjlVersion()})
     * @return the reason it is refused, or empty when it is {@link #DJL_VERSION}
     */
    static Optional<String> versionProblem(String djlVersion) {
        return DJL_VERSION.equals(djlVersion)
                ? Optional.empty()
                : Optional.of("peft4j needs DJL " + DJL_VERSION + " but the class path has DJL " + djlVersion
                        + " (ai.djl:api): import ai.djl:bom:" + DJL_VERSION
                        + " in your dependencyManagement, or remove the other DJL version");
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
