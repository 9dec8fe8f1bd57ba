package com.example.peft4j;

import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

/** The shared adapter conformance test on MoRA with the operator {@code strided}, run in the plugin's own build. */
class StridedConformanceTest extends AdapterConformanceTest {

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder("mora")
                .setRank(1)
                .optOption("operator", StridedOperator.NAME)
                .build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        long rHat = MoraReference.officialRank(outFeatures, inFeatures, 1);
        return rHat * rHat;
    }
}
