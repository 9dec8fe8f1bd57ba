package dev.peft4j.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peft4j.spi.PeftException;
import org.junit.jupiter.api.Test;

/** r̂ from r (docs/math.md §4.1, §7.1). */
class RankRuleTest {

    @Test
    void officialRoundsHalfUpAndPaperFloors() {
        assertEquals(4, RankRule.OFFICIAL.reducedRank(8, 8, 1), "√16");
        assertEquals(4, RankRule.PAPER.reducedRank(8, 8, 1));
        assertEquals(6, RankRule.OFFICIAL.reducedRank(8, 8, 2), "int(√32 + .5) = int(6.157)");
        assertEquals(5, RankRule.PAPER.reducedRank(8, 8, 2), "⌊√32⌋");
        assertEquals(256, RankRule.OFFICIAL.reducedRank(4096, 4096, 8));
        assertEquals(1448, RankRule.OFFICIAL.reducedRank(4096, 4096, 256), "int(1448.15 + .5)");
        assertEquals(24, RankRule.OFFICIAL.reducedRank(64, 8, 8));
        assertEquals(1, RankRule.OFFICIAL.reducedRank(1, 1, 1), "int(√2 + .5)");
        assertEquals(2, RankRule.OFFICIAL.reducedRank(3, 3, 1), "int(√6 + .5) = int(2.949)");
        assertEquals(3, RankRule.OFFICIAL.reducedRank(3, 4, 1), "int(√7 + .5) = int(3.146)");
    }

    @Test
    void optionValuesAreCaseInsensitiveAndOthersAreRejected() {
        assertEquals(RankRule.PAPER, RankRule.of("Paper"));
        assertEquals(RankRule.OFFICIAL, RankRule.of(" official "));
        PeftException error = assertThrows(PeftException.class, () -> RankRule.of("ceil"));
        assertEquals("Unknown MoRA rank_rule 'ceil'. Expected one of [official, paper]", error.getMessage());
    }
}
