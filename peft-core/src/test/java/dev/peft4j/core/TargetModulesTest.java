package dev.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.peft4j.spi.PeftException;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetModulesTest {

    private static final List<ModuleTree.Layer> LAYERS = ModuleTree.linearLayers(new SequentialBlock()
            .add(new ModuleTreeTest.Attention(4))
            .add(new ModuleTreeTest.Attention(4))
            .add(Linear.builder().setUnits(2).build()));

    private static List<String> select(TargetModules targets) {
        return targets.select(LAYERS).stream().map(ModuleTree.Layer::path).toList();
    }

    @Test
    void namesMatchExactlyOrAsADottedSuffix() {
        assertEquals(List.of("0.q_proj", "1.q_proj"), select(TargetModules.names("q_proj")));
        assertEquals(List.of("1.v_proj"), select(TargetModules.names("1.v_proj")));
        assertEquals(List.of("2"), select(TargetModules.names("2")));
        assertThrows(PeftException.class, () -> select(TargetModules.names("proj")), "no partial segment match");
    }

    @Test
    void aRegexMustMatchTheWholePath() {
        assertEquals(List.of("0.v_proj", "1.v_proj"), select(TargetModules.regex(".*\\.v_proj")));
        assertThrows(PeftException.class, () -> select(TargetModules.regex("v_proj")));
        assertThrows(IllegalArgumentException.class, () -> TargetModules.regex("(unclosed"));
    }

    @Test
    void allLinearLeavesOutTheOutputLayer() {
        List<String> expected = List.of("0.q_proj", "0.v_proj", "1.q_proj", "1.v_proj");
        assertEquals(expected, select(TargetModules.allLinear()));
        assertEquals(expected, select(TargetModules.names("all-linear")));
    }

    @Test
    void aPatternThatMatchesNothingNamesItAndListsTheLayers() {
        PeftException error = assertThrows(PeftException.class, () -> select(TargetModules.names("k_proj", "o_proj")));
        assertEquals(
                "Target modules [k_proj, o_proj] matched no layer. Linear layers and embeddings found: "
                        + "[0.q_proj, 0.v_proj, 1.q_proj, 1.v_proj, 2]",
                error.getMessage());
    }

    @Test
    void emptyOrBlankNamesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TargetModules.names(List.of()));
        assertThrows(IllegalArgumentException.class, () -> TargetModules.names("q_proj", " "));
    }
}
