package dev.peft4j.lora;

import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

class LoraConformanceTest extends AdapterConformanceTest {

    private static final int RANK = 2;

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder("lora").setRank(RANK).optAlpha(4).build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        return (long) RANK * (outFeatures + inFeatures);
    }

    /** LoRA has no restart (ReLoRA is not implemented). */
    @Override
    protected boolean supportsRestart() {
        return false;
    }
}
