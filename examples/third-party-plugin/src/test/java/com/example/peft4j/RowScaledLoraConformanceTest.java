package com.example.peft4j;

import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

/** The shared adapter conformance test on {@code lora-rowscale}, run in the plugin's own build. */
class RowScaledLoraConformanceTest extends AdapterConformanceTest {

    private static final int RANK = 2;

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(RowScaledLoraFactory.NAME)
                .setRank(RANK)
                .optAlpha(4)
                .build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        return (long) RANK * (outFeatures + inFeatures) + outFeatures;
    }

    /** Like LoRA, the row-scaled adapter has no restart. */
    @Override
    protected boolean supportsRestart() {
        return false;
    }
}
