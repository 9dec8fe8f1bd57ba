package dev.peft4j.mora.op.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.spi.MoraOperators;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The four operators are registered under their names and found by their official type numbers. */
class SharingRegistryTest {

    private static MoraAdapter create(Map<String, String> options) {
        AdapterConfig.Builder builder = AdapterConfig.builder(MoraFactory.NAME).setRank(8);
        options.forEach(builder::optOption);
        return (MoraAdapter) Plugins.defaults()
                .adapter(MoraFactory.NAME)
                .create(builder.build(), AdapterTarget.of("q_proj", 4096, 4096, DataType.FLOAT32), Plugins.defaults());
    }

    @Test
    void namesAndTypesMatch() {
        Map<Integer, String> byType = Map.of(
                1, SharingOperator.NAME,
                2, ContiguousSharingOperator.NAME,
                3, ContiguousTileSharingOperator.NAME,
                4, CyclicInterleaveSharingOperator.NAME);
        byType.forEach((type, name) -> {
            assertEquals(
                    name, MoraOperators.byMoraType(Plugins.defaults(), type).name());
            assertEquals(
                    type,
                    MoraOperators.named(Plugins.defaults(), name).moraType().getAsInt());
            assertEquals(
                    name,
                    create(Map.of("mora_type", String.valueOf(type))).operator().name());
        });
        assertEquals(
                List.of("sharing", "sharing-contiguous", "sharing-contiguous-tile", "sharing-cyclic-interleave"),
                MoraOperators.of(Plugins.defaults()).all().stream()
                        .map(op -> op.name())
                        .toList());
    }

    @Test
    void sharingIsTheDefaultAndALlamaLayerTrains65536Values() {
        MoraAdapter adapter = create(Map.of());
        assertEquals(SharingOperator.NAME, adapter.operator().name());
        assertEquals(256, adapter.reducedRank());
        assertEquals(65_536, adapter.trainableParameterCount());
    }

    @Test
    void unknownNamesAndTypesListWhatIsAvailable() {
        PeftException name = assertThrows(PeftException.class, () -> create(Map.of("operator", "sharing-5")));
        assertEquals(
                "Unknown operator 'sharing-5'. Available: [sharing, sharing-contiguous, sharing-contiguous-tile, "
                        + "sharing-cyclic-interleave]. Did you mean 'sharing'?",
                name.getMessage());
        PeftException type = assertThrows(PeftException.class, () -> create(Map.of("mora_type", "6")));
        assertTrue(
                type.getMessage()
                        .startsWith(
                                "No MoRA operator computes mora_type 6. Available types (operator): "
                                        + "{1=sharing, 2=sharing-contiguous, 3=sharing-contiguous-tile, 4=sharing-cyclic-interleave}"),
                type.getMessage());
        PeftException legacy = assertThrows(PeftException.class, () -> create(Map.of("mora_type", "5")));
        assertTrue(legacy.getMessage().contains("legacy"), legacy.getMessage());
    }

    @Test
    void cyclicTypesRefuseRHatAboveTwiceKUnlessGeneralized() {
        AdapterTarget narrow = AdapterTarget.of("narrow", 8, 64, DataType.FLOAT32);
        AdapterConfig config = AdapterConfig.builder(MoraFactory.NAME)
                .setRank(8)
                .optOption("operator", "sharing")
                .build();
        PeftException error = assertThrows(
                PeftException.class,
                () -> Plugins.defaults().adapter(MoraFactory.NAME).create(config, narrow, Plugins.defaults()));
        assertEquals(
                "Operator 'sharing' cannot bind d=64, k=8, r̂=24 as kongds/MoRA does: r̂ > 2k, so its cyclic input padding "
                        + "cat(x, x[..., :pad]) is too short and its forward fails (docs/math.md §4.7). Set the MoRA option "
                        + "generalized=true to use the documented generalisation, or choose another rank or operator.",
                error.getMessage());
        AdapterConfig contiguous = AdapterConfig.builder(MoraFactory.NAME)
                .setRank(8)
                .optOption("operator", "sharing-contiguous")
                .build();
        assertEquals(
                24,
                ((MoraAdapter) Plugins.defaults()
                                .adapter(MoraFactory.NAME)
                                .create(contiguous, narrow, Plugins.defaults()))
                        .reducedRank());
    }
}
