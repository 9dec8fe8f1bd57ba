package dev.peft4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.peft4j.spi.DjlEngineBinding;
import dev.peft4j.spi.EngineAvailability;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every engine module's binding must do; each engine module's test extends this class. */
public abstract class EngineBindingContractTest {

    /** For subclasses. */
    protected EngineBindingContractTest() {}

    /**
     * The binding's registry name.
     *
     * @return for example {@code pytorch}
     */
    protected abstract String name();

    /**
     * The binding, looking for its native jars through a class loader.
     *
     * @param resources where the native jars must be visible
     * @return the binding
     */
    protected abstract EngineBinding bindingLookingIn(ClassLoader resources);

    /**
     * The artifact a missing native jar's message must name.
     *
     * @return for example {@code pytorch-native-cpu}
     */
    protected abstract String nativeArtifact();

    @Test
    void isRegisteredAndUsableOnThisMachine() {
        EngineBinding binding = Plugins.defaults().engine(name());
        EngineAvailability availability = binding.availability();
        assertTrue(availability.usable(), availability.reason());
        List<Device> devices = binding.devices();
        assertEquals(Device.cpu(), devices.get(devices.size() - 1), "the CPU comes last");
    }

    @Test
    void namesTheMissingNativeJar() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            EngineBinding binding = bindingLookingIn(empty);
            EngineAvailability availability = binding.availability();
            assertFalse(availability.usable());
            assertTrue(availability.reason().contains(nativeArtifact()), availability.reason());
            assertTrue(availability.reason().contains(DjlEngineBinding.platform()), availability.reason());
            PeftException error = assertThrows(PeftException.class, binding::engine);
            assertTrue(error.getMessage().startsWith("Engine '" + name() + "' is not usable"), error.getMessage());
        }
    }
}
