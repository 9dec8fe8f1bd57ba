package dev.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendTest {

    private static final Plugins PLUGINS = Plugins.defaults();

    @AfterEach
    void clearProperties() {
        System.clearProperty("peft4j.engine");
        System.clearProperty("peft4j.device");
    }

    @Test
    void autoPrefersPyTorchOnTheCpuHere() {
        Backend backend = Backend.select(null, null, PLUGINS, Map.of());
        assertEquals("pytorch", backend.engine().name());
        assertEquals(Device.cpu(), backend.device());
        assertEquals(
                "pytorch",
                Backend.select("auto", "auto", PLUGINS, Map.of()).engine().name());
    }

    @Test
    void anExplicitChoiceBeatsThePropertyWhichBeatsTheEnvironment() {
        Map<String, String> environment = Map.of("PEFT4J_ENGINE", "mxnet", "PEFT4J_DEVICE", "cpu");
        assertEquals(
                "mxnet",
                Backend.select(null, null, PLUGINS, environment).engine().name());
        System.setProperty("peft4j.engine", "pytorch");
        assertEquals(
                "pytorch",
                Backend.select(null, null, PLUGINS, environment).engine().name());
        assertEquals(
                "mxnet",
                Backend.select("MXNet", null, PLUGINS, environment).engine().name());
    }

    @Test
    void anExplicitAutoIsNoChoiceSoThePropertyAndTheEnvironmentStillApply() {
        Map<String, String> environment = Map.of("PEFT4J_ENGINE", "mxnet");
        assertEquals(
                "mxnet",
                Backend.select("auto", "auto", PLUGINS, environment).engine().name());
        assertEquals(
                "mxnet",
                Backend.select(" AUTO ", "", PLUGINS, environment).engine().name());
        System.setProperty("peft4j.engine", "pytorch");
        assertEquals(
                "pytorch",
                Backend.select("auto", null, PLUGINS, environment).engine().name());
    }

    @Test
    void aBadWordFromThePropertyOrTheEnvironmentNamesWhereItCameFrom() {
        PeftException fromEnvironment = assertThrows(
                PeftException.class, () -> Backend.select("auto", null, PLUGINS, Map.of("PEFT4J_ENGINE", "torch")));
        assertEquals(
                "Unknown engine 'torch'. Available: [mxnet, pytorch]. Did you mean 'pytorch'?"
                        + " ('torch' comes from the environment variable PEFT4J_ENGINE: correct or unset it)",
                fromEnvironment.getMessage());
        System.setProperty("peft4j.device", "tpu");
        PeftException fromProperty =
                assertThrows(PeftException.class, () -> Backend.select("pytorch", null, PLUGINS, Map.of()));
        assertEquals(
                "Unknown device 'tpu'. Expected auto, cpu, gpu or gpu:N ('tpu' comes from the system property "
                        + "peft4j.device: correct or unset it)",
                fromProperty.getMessage());
        PeftException explicit = assertThrows(
                PeftException.class,
                () -> Backend.select("tensorflow", null, PLUGINS, Map.of("PEFT4J_ENGINE", "pytorch")));
        assertFalse(
                explicit.getMessage().contains("PEFT4J_ENGINE"), "an explicit choice is not blamed on the variable");
    }

    @Test
    void selectingAnEngineLeavesDjlsGlobalSettingsAlone() {
        String offline = System.getProperty("ai.djl.offline");
        System.clearProperty("ai.djl.offline");
        try {
            assertEquals(
                    "pytorch",
                    Backend.select("pytorch", "cpu", PLUGINS, Map.of()).engine().name());
            assertEquals(
                    "mxnet",
                    Backend.select("mxnet", "cpu", PLUGINS, Map.of()).engine().name());
            assertNull(
                    System.getProperty("ai.djl.offline"),
                    "the library must not switch DJL's downloads off for the application");
        } finally {
            if (offline != null) {
                System.setProperty("ai.djl.offline", offline);
            }
        }
    }

    @Test
    void anUnknownEngineListsTheEngines() {
        PeftException error =
                assertThrows(PeftException.class, () -> Backend.select("tensorflow", null, PLUGINS, Map.of()));
        assertEquals(
                "Unknown engine 'tensorflow'. Available: [mxnet, pytorch]. Add the jar that provides it to the class path.",
                error.getMessage());
    }

    @Test
    void noEngineOnTheClassPathSaysWhichArtifactToAdd() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            PeftException error =
                    assertThrows(PeftException.class, () -> Backend.select(null, null, Plugins.load(empty), Map.of()));
            assertEquals(
                    "No engine is on the class path: add dev.peft4j:engine-pytorch or dev.peft4j:engine-mxnet",
                    error.getMessage());
        }
    }

    @Test
    void devicesAreParsedAndChecked() {
        assertEquals(
                Device.cpu(),
                Backend.select("pytorch", "cpu", PLUGINS, Map.of()).device());
        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> Backend.select("pytorch", "tpu", PLUGINS, Map.of()));
        assertEquals("Unknown device 'tpu'. Expected auto, cpu, gpu or gpu:N", unknown.getMessage());
        PeftException noGpu =
                assertThrows(PeftException.class, () -> Backend.select("pytorch", "gpu:3", PLUGINS, Map.of()));
        assertTrue(
                noGpu.getMessage().startsWith("Device 'gpu:3' is not available: engine pytorch sees"),
                noGpu.getMessage());
        System.setProperty("peft4j.device", "gpu:x");
        assertThrows(PeftException.class, () -> Backend.select("pytorch", null, PLUGINS, Map.of()));
    }
}
