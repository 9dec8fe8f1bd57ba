package dev.peft4j.mora.op.truncation;

import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;

/** The shared conformance test for truncation (r = 1: r̂ = 4 on 6 → 7 and 3 on 7 → 5). */
class TruncationConformanceTest extends AdapterConformanceTest {

    @Override
    protected AdapterConfig config() {
        return AdapterConfig.builder(MoraFactory.NAME)
                .setRank(1)
                .optOption(MoraOptions.OPERATOR, TruncationOperator.NAME)
                .build();
    }

    @Override
    protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
        long rHat = MoraReference.officialRank(outFeatures, inFeatures, 1);
        return rHat * rHat;
    }
}
