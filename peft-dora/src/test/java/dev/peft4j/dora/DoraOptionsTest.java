package dev.peft4j.dora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.types.DataType;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DoRA's options are read through their declarations, so a factory called directly refuses bad values too. */
class DoraOptionsTest {

    private static String error(Map<String, String> options) {
        AdapterConfig.Builder builder = AdapterConfig.builder(DoraFactory.NAME).setRank(2);
        options.forEach(builder::optOption);
        AdapterConfig config = builder.build();
        return assertThrows(
                        PeftException.class,
                        () -> new DoraFactory()
                                .create(config, AdapterTarget.of("q", 4, 4, DataType.FLOAT32), Plugins.defaults()))
                .getMessage();
    }

    @Test
    void badValuesAreRefusedWhenTheAdapterIsMade() {
        assertEquals(
                "The dora option dora_norm_gradient must be true or false, got 'yes'",
                error(Map.of(DoraFactory.NORM_GRADIENT, "yes")));
        assertEquals(
                "The dora option dora_epsilon must be a finite number, got 'NaN'",
                error(Map.of(DoraFactory.EPSILON, "NaN")));
        assertEquals("The dora option dora_epsilon must be ≥ 0, got -1.0", error(Map.of(DoraFactory.EPSILON, "-1")));
    }
}
