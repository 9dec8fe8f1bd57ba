package dev.peft4j.mora.op.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.types.DataType;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import org.junit.jupiter.api.Test;

/** Rotation is mora_type 6, makes r̂ even, and refuses a single block unless generalised. */
class RotationRegistryTest {

    private static MoraAdapter create(AdapterConfig.Builder config, int d, int k) {
        return (MoraAdapter) Plugins.defaults()
                .adapter(MoraFactory.NAME)
                .create(config.build(), AdapterTarget.of("layer", k, d, DataType.FLOAT32), Plugins.defaults());
    }

    @Test
    void typeSixMakesRHatEven() {
        assertEquals(
                RotationOperator.NAME,
                MoraOperators.byMoraType(Plugins.defaults(), 6).name());
        AdapterConfig.Builder type6 =
                AdapterConfig.builder(MoraFactory.NAME).setRank(2).optOption("mora_type", "6");
        assertEquals(6, create(type6, 8, 8).reducedRank(), "int(√32 + .5) = 6, already even");
        assertEquals(6, create(type6, 16, 8).reducedRank(), "int(√48 + .5) = 7, made even");
        assertEquals(4, create(type6.optOption("rank_rule", "paper"), 8, 8).reducedRank(), "⌊√32⌋ = 5, made even");
        MoraAdapter llama = create(
                AdapterConfig.builder(MoraFactory.NAME).setRank(8).optOption("operator", "rotation"), 4096, 4096);
        assertEquals(256, llama.reducedRank());
        assertEquals(65_536, llama.trainableParameterCount());
    }

    @Test
    void aSingleBlockNeedsTheGeneralisation() {
        AdapterConfig.Builder config =
                AdapterConfig.builder(MoraFactory.NAME).setRank(2).optOption("operator", "rotation");
        PeftException error = assertThrows(PeftException.class, () -> create(config, 8, 4));
        assertEquals(
                "Operator 'rotation' cannot bind d=8, k=4, r̂=4 as kongds/MoRA does: k ≤ r̂ leaves a single block, and its "
                        + "merge fails on an unbound loop index (docs/math.md §4.7). Set the MoRA option generalized=true to use "
                        + "the documented generalisation, or choose another rank or operator.",
                error.getMessage());
        assertEquals(
                4, create(config.optOption("generalized", "true"), 8, 4).reducedRank(), "int(√24 + .5) = 5, made even");
    }
}
