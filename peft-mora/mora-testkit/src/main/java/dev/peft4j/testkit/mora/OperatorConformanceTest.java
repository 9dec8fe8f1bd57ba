package dev.peft4j.testkit.mora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.EngineSource;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The identities every MoRA compression operator must satisfy (docs/math.md §6), run on every
 * engine over the (d, k, r) shapes of {@link OperatorInvariants#shapes()}. An operator module's
 * test extends this class and describes its operator in {@link #spec()}.
 *
 * <p>Hooks where an operator legitimately differs: {@link #needsGeneralisation()} says whether
 * some shapes lie outside kongds/MoRA's domain, {@link #minimumShapesChecked()} how many shapes
 * must be in the operator's domain, {@link #plugins()} where the operator is looked up.
 */
public abstract class OperatorConformanceTest {

    /** For subclasses. */
    protected OperatorConformanceTest() {}

    /**
     * The operator under test: its name, its r̂ adjustment, its official domain and an independent
     * closed form of ΔW.
     *
     * @return the specification
     */
    protected abstract OperatorInvariants.Spec spec();

    /**
     * The registry the operator is looked up in.
     *
     * @return {@link Plugins#defaults()} unless overridden
     */
    protected Plugins plugins() {
        return Plugins.defaults();
    }

    /**
     * Whether some of the shapes fall outside the official domain, so that the generalisation is
     * needed (and refused without it); {@code false} for an operator defined on every shape.
     *
     * @return {@code true} unless overridden
     */
    protected boolean needsGeneralisation() {
        return true;
    }

    /**
     * The fewest shapes the identities must be checked on (those whose r̂ is at least 1).
     *
     * @return 50 unless overridden
     */
    protected int minimumShapesChecked() {
        return 50;
    }

    /** Merged equals unmerged, the identity probe, ΔW against the closed form, M = 0 adds nothing. */
    @ParameterizedTest
    @EngineSource
    void identitiesHoldOnEveryShape(EngineBinding engine) {
        int[] counts = OperatorInvariants.checkAll(engine, spec(), plugins());
        assertTrue(counts[0] >= minimumShapesChecked(), "shapes checked: " + counts[0]);
        assertEquals(needsGeneralisation(), counts[1] > 0, "shapes that needed the generalisation: " + counts[1]);
    }
}
