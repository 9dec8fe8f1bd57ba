package dev.peft4j.mora.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.PluginJars;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MoRA's operators as a kind of plugin of their own: found by name and by official type, with the artifact named when missing. */
class MoraOperatorsTest {

    @TempDir
    Path dir;

    @Test
    void aMissingFirstPartyOperatorNamesTheDependencyToAdd() {
        Plugins plugins = Plugins.load(dir);
        assertEquals(
                "Unknown operator 'sharing'. Available: []. "
                        + "Add the dependency dev.peft4j:mora-op-sharing (it provides the operator 'sharing').",
                assertThrows(PeftException.class, () -> MoraOperators.named(plugins, "sharing"))
                        .getMessage());
        assertEquals(
                "No MoRA operator computes mora_type 6. Available types (operator): {}. "
                        + "Add the dependency dev.peft4j:mora-op-rotation (it computes mora_type 6).",
                assertThrows(PeftException.class, () -> MoraOperators.byMoraType(plugins, 6))
                        .getMessage());
    }

    @Test
    void operatorsAreFoundByTheirOfficialMoraType() {
        PluginJars.build(
                dir.resolve("ops.jar"),
                CompressionOperator.class.getName(),
                Map.of(
                        "com.example.One", PluginJars.operatorSource("com.example.One", "one", 1),
                        "com.example.Six", PluginJars.operatorSource("com.example.Six", "six", 6),
                        "com.example.Paper", PluginJars.operatorSource("com.example.Paper", "paper", -1)));
        Plugins plugins = Plugins.load(dir);
        assertEquals("six", MoraOperators.byMoraType(plugins, 6).name());
        assertEquals("one", MoraOperators.byMoraType(plugins, 1).name());
        PeftException error = assertThrows(PeftException.class, () -> MoraOperators.byMoraType(plugins, 4));
        assertEquals(
                "No MoRA operator computes mora_type 4. Available types (operator): {1=one, 6=six}. "
                        + "Add the dependency dev.peft4j:mora-op-sharing (it computes mora_type 4).",
                error.getMessage());
    }

    @Test
    void twoOperatorsClaimingOneMoraTypeFailNamingBoth() {
        PluginJars.build(
                dir.resolve("a.jar"),
                CompressionOperator.class.getName(),
                Map.of("com.a.Rope", PluginJars.operatorSource("com.a.Rope", "rope-a", 6)));
        PluginJars.build(
                dir.resolve("b.jar"),
                CompressionOperator.class.getName(),
                Map.of("com.b.Rope", PluginJars.operatorSource("com.b.Rope", "rope-b", 6)));
        PeftException error = assertThrows(PeftException.class, () -> MoraOperators.byMoraType(Plugins.load(dir), 6));
        String message = error.getMessage();
        assertTrue(message.startsWith("Two MoRA operators claim mora_type 6"), message);
        for (String part : List.of("rope-a", "rope-b", "com.a.Rope", "com.b.Rope", "a.jar", "b.jar")) {
            assertTrue(message.contains(part), "message names " + part + ": " + message);
        }
    }
}
