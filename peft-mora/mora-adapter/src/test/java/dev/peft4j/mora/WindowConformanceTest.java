package dev.peft4j.mora;

import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

/** The shared conformance test on the adapter with a test operator: the adapter's side of the contract. */
class WindowConformanceTest extends AdapterConformanceTest {

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(MoraFactory.NAME)
                .setRank(1)
                .optOption(MoraOptions.OPERATOR, WindowOperator.NAME)
                .build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        long rHat = MoraReference.officialRank(outFeatures, inFeatures, 1);
        return rHat * rHat;
    }

    /**
     * The test operator claims mora_type 1, so ReMoRA switches it to the even-window operator (type
     * 2), which refuses the odd r̂ = 3 of the 7 → 5 layer: restarts are covered by the real sharing
     * operators' conformance tests instead.
     */
    @Override
    protected boolean supportsRestart() {
        return false;
    }
}
