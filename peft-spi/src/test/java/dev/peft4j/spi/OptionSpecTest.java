package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OptionSpecTest {

    private static final List<OptionSpec> SPECS = List.of(
            new OptionSpec("operator", OptionSpec.Type.STRING, "sharing"),
            new OptionSpec("generalized", OptionSpec.Type.BOOLEAN, "false"),
            new OptionSpec("remora_types", OptionSpec.Type.INTEGER, "4"),
            new OptionSpec("epsilon", OptionSpec.Type.NUMBER, "0"));

    private static String error(Map<String, String> options) {
        return assertThrows(PeftException.class, () -> OptionSpec.check("mora", SPECS, options))
                .getMessage();
    }

    @Test
    void declaredOptionsWithValuesOfTheirTypePass() {
        OptionSpec.check(
                "mora",
                SPECS,
                Map.of("operator", "rotation", "generalized", "true", "remora_types", "-2", "epsilon", "1.5e-3"));
        OptionSpec.check("lora", List.of(), Map.of());
    }

    @Test
    void aMisspelledKeyListsTheKnownOnesAndSuggestsTheClosest() {
        assertEquals(
                "Unknown option 'opperator' for the adapter method mora. Known: [epsilon, generalized, operator, "
                        + "remora_types]. Did you mean 'operator'?",
                error(Map.of("opperator", "rotation")));
        assertEquals(
                "Unknown option 'colour' for the adapter method mora. Known: [epsilon, generalized, operator, "
                        + "remora_types].",
                error(Map.of("colour", "red")));
        assertEquals(
                "Unknown option 'scale': the adapter method lora takes no options",
                assertThrows(PeftException.class, () -> OptionSpec.check("lora", List.of(), Map.of("scale", "2")))
                        .getMessage());
    }

    @Test
    void aMistypedPluginNameGetsTheClosestAvailableOne() {
        assertEquals(
                "pytorch", ClosestName.of("torch", List.of("mxnet", "pytorch")).orElseThrow());
        assertEquals(
                "lora", ClosestName.of("lorra", List.of("dora", "lora", "mora")).orElseThrow());
        assertEquals(
                "dora_eval_cache",
                ClosestName.of("dora_eval_cahce", List.of("dora_eval_cache", "dora_epsilon"))
                        .orElseThrow());
        assertTrue(ClosestName.of("vera", List.of("alpha", "beta")).isEmpty(), "a different word is no typo");
    }

    @ParameterizedTest
    @CsvSource({
        "generalized, yes, true or false",
        "remora_types, 4.0, an integer",
        "remora_types, 99999999999, an integer",
        "epsilon, NaN, a finite number",
        "epsilon, 1e999, a finite number",
        "epsilon, 0x10, a finite number",
    })
    void aValueOfTheWrongTypeIsNamed(String key, String value, String expected) {
        assertEquals(
                "The mora option " + key + " must be " + expected + ", got '" + value + "'", error(Map.of(key, value)));
    }
}
