package dev.peft4j.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.TestModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The MoRA options; this module's registry holds the test operators test-window (type 1) and test-even-window (type 2). */
class MoraOptionsTest {

    private static MoraOptions options(Map<String, String> values) {
        AdapterConfig.Builder builder = AdapterConfig.builder(MoraFactory.NAME).setRank(1);
        values.forEach(builder::optOption);
        return MoraOptions.of(builder.build(), Plugins.defaults());
    }

    private static String error(Map<String, String> values) {
        return assertThrows(PeftException.class, () -> options(values)).getMessage();
    }

    @Test
    void theOperatorIsFoundByName() {
        MoraOptions options = options(Map.of("operator", "test-even-window"));
        assertEquals(EvenWindowOperator.NAME, options.operator().name());
        assertEquals(RankRule.OFFICIAL, options.rankRule());
        assertFalse(options.generalized());
    }

    @Test
    void theDefaultOperatorIsSharingAndAnUnknownNameListsTheAvailableOnes() {
        assertEquals(
                "Unknown operator 'sharing'. Available: [test-even-window, test-window]. "
                        + "Add the dependency dev.peft4j:mora-op-sharing (it provides the operator 'sharing').",
                error(Map.of()));
        assertTrue(error(Map.of("operator", "gather"))
                .startsWith("Unknown operator 'gather'. Available: [test-even-window"));
    }

    @Test
    void moraTypePicksTheOperatorThatComputesIt() {
        assertEquals(
                WindowOperator.NAME,
                options(Map.of("mora_type", "1")).operator().name());
        assertEquals(
                EvenWindowOperator.NAME,
                options(Map.of("mora_type", " 2 ")).operator().name());
        assertEquals(
                EvenWindowOperator.NAME,
                options(Map.of("mora_type", "2", "operator", "test-even-window"))
                        .operator()
                        .name());
        assertEquals(
                "No MoRA operator computes mora_type 6. Available types (operator): {1=test-window, 2=test-even-window}. "
                        + "Add the dependency dev.peft4j:mora-op-rotation (it computes mora_type 6).",
                error(Map.of("mora_type", "6")));
    }

    @Test
    void legacyAndMalformedTypesAreRejected() {
        for (String legacy : new String[] {"0", "5", "7", "-1"}) {
            assertEquals(
                    "MoRA mora_type " + legacy + " has no forward: kongds/MoRA computes types [1, 2, 3, 4, 6], "
                            + "and every other number reaches its merge-only legacy branch (docs/math.md §4.6)",
                    error(Map.of("mora_type", legacy)));
        }
        assertEquals(
                "MoRA mora_type must be an integer, one of [1, 2, 3, 4, 6], got 'six'",
                error(Map.of("mora_type", "six")));
    }

    @Test
    void anOperatorAndATypeThatDisagreeAreRejected() {
        assertEquals(
                "MoRA options disagree: operator=test-window is mora_type 1, but mora_type=2 is operator 'test-even-window'. Give one of them.",
                error(Map.of("operator", "test-window", "mora_type", "2")));
    }

    @Test
    void rankRuleGeneralizedAndEvalCacheAreParsedStrictly() {
        MoraOptions options = options(Map.of("operator", "test-window", "rank_rule", "paper", "generalized", "TRUE"));
        assertEquals(RankRule.PAPER, options.rankRule());
        assertTrue(options.generalized());
        assertEquals(
                "MoRA option generalized must be true or false, got 'yes'",
                error(Map.of("operator", "test-window", "generalized", "yes")));
        assertTrue(options.evalCache(), "the eval cache is on by default");
        assertFalse(options(Map.of("operator", "test-window", "mora_eval_cache", " False"))
                .evalCache());
        assertEquals(
                "MoRA option mora_eval_cache must be true or false, got 'off'",
                error(Map.of("operator", "test-window", "mora_eval_cache", "off")));
        assertTrue(error(Map.of("operator", "test-window", "rank_rule", "round"))
                .startsWith("Unknown MoRA rank_rule 'round'"));
    }

    @Test
    void aMisspelledOptionIsRefusedRatherThanGivingTheDefaultOperator() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, 8, 8));
            AdapterConfig config = AdapterConfig.builder(MoraFactory.NAME)
                    .setRank(2)
                    .optOption("opperator", "rotation")
                    .build();
            PeftException error =
                    assertThrows(PeftException.class, () -> peft.addAdapter("x", config, TargetModules.names("0")));
            assertEquals(
                    "Unknown option 'opperator' for the adapter method mora. Known: [generalized, mora_eval_cache, mora_type, "
                            + "operator, rank_rule, remora_types]. Did you mean 'operator'?",
                    error.getMessage());
        }
    }
}
