package dev.peft4j.spi;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import java.util.Optional;

/**
 * Binds a DJL engine to peft4j; found by {@link Plugins} from its {@code META-INF/services} entry.
 *
 * <p>An engine module brings the DJL engine and its native libraries as Maven dependencies and
 * contributes one binding.
 */
public interface EngineBinding {

    /**
     * The binding's name, lower case, for example {@code pytorch}.
     *
     * @return the name
     */
    String name();

    /**
     * The DJL engine name, for example {@code PyTorch}.
     *
     * @return the DJL name
     */
    String djlEngineName();

    /**
     * The rank in {@code auto} selection: lower is preferred.
     *
     * @return the preference
     */
    int preference();

    /**
     * Whether the engine can run here; loads it on first call.
     *
     * @return the availability, with the missing artifact named when it cannot
     */
    EngineAvailability availability();

    /**
     * The loaded DJL engine. The first engine loaded this way becomes DJL's default engine unless
     * the user chose one ({@code ai.djl.default_engine}, {@code DJL_DEFAULT_ENGINE}), so that DJL
     * code that names no engine (every {@code Trainer}) does not load a second engine.
     *
     * @return the engine
     * @throws PeftException when the engine cannot run, with the reason
     */
    default Engine engine() {
        EngineAvailability availability = availability();
        if (!availability.usable()) {
            throw new PeftException("Engine '" + name() + "' is not usable: " + availability.reason());
        }
        DefaultDjlEngine.preferIfUnchosen(djlEngineName());
        return Engine.getEngine(djlEngineName());
    }

    /**
     * Where the engine's native library was loaded from, and what chose it (a jar, or an
     * environment variable naming a library the user installed, such as a CUDA build); loads the
     * engine.
     *
     * @return the description, or empty when the binding cannot tell
     * @throws PeftException when the engine cannot run
     */
    default Optional<String> nativeLibrary() {
        return Optional.empty();
    }

    /**
     * The devices the engine offers, GPUs first, the CPU last.
     *
     * @return the devices
     * @throws PeftException when the engine cannot run
     */
    List<Device> devices();
}
