package dev.peft4j.dora;

import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

class DoraConformanceTest extends AdapterConformanceTest {

    private static final int RANK = 2;

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder("dora").setRank(RANK).optAlpha(4).build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        return (long) RANK * (outFeatures + inFeatures) + outFeatures;
    }

    /** DoRA has no restart (ReLoRA is not implemented). */
    @Override
    protected boolean supportsRestart() {
        return false;
    }
}
