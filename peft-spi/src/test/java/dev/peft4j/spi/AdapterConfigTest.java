package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class AdapterConfigTest {

    @ParameterizedTest
    @ValueSource(ints = {0, -3})
    void rankMustBePositive(int rank) {
        IllegalArgumentException error =
                assertThrows(IllegalArgumentException.class, () -> AdapterConfig.builder("lora").setRank(rank).build());
        assertEquals("Rank r must be positive, got " + rank, error.getMessage());
    }

    @Test
    void scalingIsAlphaOverROrOverSqrtR() {
        assertEquals(4f, AdapterConfig.builder("lora").setRank(4).optAlpha(16).build().scaling(), 0f);
        assertEquals(8f, AdapterConfig.builder("lora").setRank(4).optAlpha(16).optRsLora(true).build().scaling(), 1e-6f);
        assertEquals(1f, AdapterConfig.builder("lora").setRank(8).build().scaling(), 0f, "PEFT's default α is 8");
    }

    @Test
    void dropoutAndAlphaAreValidated() {
        IllegalArgumentException dropout =
                assertThrows(IllegalArgumentException.class, () -> AdapterConfig.builder("lora").setRank(1).optDropout(1f).build());
        assertTrue(dropout.getMessage().contains("[0, 1)"), dropout.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AdapterConfig.builder("lora").setRank(1).optAlpha(Float.NaN).build());
        assertThrows(IllegalArgumentException.class, () -> AdapterConfig.builder(" ").setRank(1).build());
    }

    @Test
    void optionsAreKeptAndFrozen() {
        AdapterConfig config = AdapterConfig.builder("mora").setRank(8).optOption("operator", "rotation").build();
        assertEquals("rotation", config.option("operator", "sharing"));
        assertEquals("x", config.option("missing", "x"));
        assertThrows(UnsupportedOperationException.class, () -> config.options().put("a", "b"));
    }
}
