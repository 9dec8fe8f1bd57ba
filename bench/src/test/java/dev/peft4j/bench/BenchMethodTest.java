package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.Plugins;
import org.junit.jupiter.api.Test;

class BenchMethodTest {

    @Test
    void everyListedMethodParsesBack() {
        for (BenchMethod method : BenchMethod.all(Plugins.defaults())) {
            assertEquals(method, BenchMethod.parse(method.name()));
        }
        assertTrue(BenchMethod.all(Plugins.defaults()).contains(BenchMethod.mora("rotation")));
    }

    @Test
    void configsCarryTheOptions() {
        assertEquals("true", BenchMethod.DORA_CACHED.config(8).option("dora_eval_cache", "false"));
        assertEquals("sharing", BenchMethod.parse("mora-sharing").config(8).option("operator", ""));
        assertEquals(16f, BenchMethod.LORA.config(8).alpha());
    }

    @Test
    void unknownNamesAndAdapterlessConfigsAreErrors() {
        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> BenchMethod.parse("vera"));
        assertTrue(unknown.getMessage().contains("Expected base, fft, lora, dora, dora-cached or mora-OPERATOR"));
        assertThrows(IllegalStateException.class, () -> BenchMethod.FFT.config(8));
    }
}
