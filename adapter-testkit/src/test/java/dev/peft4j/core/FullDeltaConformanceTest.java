package dev.peft4j.core;

import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.FullDeltaFactory;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

/** Runs the shared conformance test on the core's test-only adapter, checking the core's side. */
class FullDeltaConformanceTest extends AdapterConformanceTest {

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(FullDeltaFactory.NAME).setRank(1).build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        return (long) outFeatures * inFeatures;
    }
}
