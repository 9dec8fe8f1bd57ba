package dev.peft4j.engine.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.peft4j.spi.EngineAvailability;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

class PyTorchBindingTest {

    @Test
    void isRegisteredAndUsableOnThisMachine() {
        PyTorchBinding binding = (PyTorchBinding) Plugins.defaults().engine("pytorch");
        EngineAvailability availability = binding.availability();
        assertTrue(availability.usable(), availability.reason());
        List<Device> devices = binding.devices();
        assertEquals(Device.cpu(), devices.get(devices.size() - 1), "the CPU comes last");
    }

    @Test
    void namesTheMissingNativeJar() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            PyTorchBinding binding = new PyTorchBinding(empty);
            EngineAvailability availability = binding.availability();
            assertFalse(availability.usable());
            assertTrue(availability.reason().contains("pytorch-native-cpu"), availability.reason());
            assertTrue(availability.reason().contains(PyTorchBinding.platform()), availability.reason());
            PeftException error = assertThrows(PeftException.class, binding::engine);
            assertTrue(error.getMessage().startsWith("Engine 'pytorch' is not usable"), error.getMessage());
        }
    }
}
