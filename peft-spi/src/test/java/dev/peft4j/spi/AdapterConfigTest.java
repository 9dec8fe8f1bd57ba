package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdapterConfigTest {

    @ParameterizedTest
    @ValueSource(ints = {0, -3})
    void rankMustBePositive(int rank) {
        IllegalArgumentException error = assertThrows(
                IllegalArgumentException.class,
                () -> AdapterConfig.builder("lora").setRank(rank).build());
        assertEquals("Rank r must be positive, got " + rank, error.getMessage());
    }

    @Test
    void scalingIsAlphaOverROrOverSqrtR() {
        assertEquals(
                4f,
                AdapterConfig.builder("lora").setRank(4).optAlpha(16).build().scaling(),
                0f);
        assertEquals(
                8f,
                AdapterConfig.builder("lora")
                        .setRank(4)
                        .optAlpha(16)
                        .optRsLora(true)
                        .build()
                        .scaling(),
                1e-6f);
        assertEquals(1f, AdapterConfig.builder("lora").setRank(8).build().scaling(), 0f, "PEFT's default α is 8");
    }

    @Test
    void dropoutAndAlphaAreValidated() {
        IllegalArgumentException dropout = assertThrows(
                IllegalArgumentException.class,
                () -> AdapterConfig.builder("lora").setRank(1).optDropout(1f).build());
        assertTrue(dropout.getMessage().contains("[0, 1)"), dropout.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> AdapterConfig.builder("lora")
                        .setRank(1)
                        .optAlpha(Float.NaN)
                        .build());
        assertThrows(
                IllegalArgumentException.class,
                () -> AdapterConfig.builder(" ").setRank(1).build());
    }

    @Test
    void optionsAreKeptAndFrozen() {
        AdapterConfig config = AdapterConfig.builder("mora")
                .setRank(8)
                .optOption("operator", "rotation")
                .build();
        assertEquals("rotation", config.option("operator", "sharing"));
        assertEquals("x", config.option("missing", "x"));
        assertThrows(UnsupportedOperationException.class, () -> config.options().put("a", "b"));
        assertEquals(config, config.toBuilder().build(), "toBuilder keeps everything");
        assertEquals(4, config.toBuilder().setRank(4).build().rank());
    }

    @Test
    void rankAndAlphaPatternsFollowPeftsMatching() {
        AdapterConfig config = AdapterConfig.builder("lora")
                .setRank(8)
                .optAlpha(16)
                .optRankPattern("q_proj", 4)
                .optRankPattern("layers\\.0\\.self_attn\\.v_proj", 2)
                .optAlphaPattern("v_proj", 32)
                .build();
        assertEquals(4, config.forModule("model.layers.0.self_attn.q_proj").rank());
        assertEquals(4, config.forModule("q_proj").rank());
        assertEquals(8, config.forModule("model.layers.0.self_attn.q_proj_x").rank(), "the key must end the path");
        assertEquals(8, config.forModule("model.layers.0.self_attn.xq_proj").rank(), "the key starts a segment");
        AdapterConfig v0 = config.forModule("model.layers.0.self_attn.v_proj");
        assertEquals(2, v0.rank());
        assertEquals(32f, v0.alpha());
        assertEquals(16f, v0.scaling(), 1e-6);
        assertEquals(8, config.forModule("model.layers.1.self_attn.v_proj").rank());
        assertTrue(v0.rankPattern().isEmpty());
        IllegalArgumentException bad = assertThrows(
                IllegalArgumentException.class,
                () -> AdapterConfig.builder("lora")
                        .setRank(1)
                        .optRankPattern("q", 0)
                        .build());
        assertEquals("rank_pattern['q'] must be a positive rank, got 0", bad.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> AdapterConfig.builder("lora")
                        .setRank(1)
                        .optRankPattern("(", 2)
                        .build());
    }
}
