package dev.peft4j.mora.op.rotation;

import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

/** The shared conformance test for rotation (r = 1: r̂ = 4 on 6 → 7 and 2 on 7 → 5, both with k &gt; r̂). */
class RotationConformanceTest extends AdapterConformanceTest {

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(MoraFactory.NAME)
                .setRank(1)
                .optOption(MoraOptions.OPERATOR, RotationOperator.NAME)
                .build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        long rHat = MoraReference.officialRank(outFeatures, inFeatures, 1) / 2 * 2;
        return rHat * rHat;
    }
}
